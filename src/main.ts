import { runBotInWorker } from './thread/main-side.ts';

/**
 * Entry point of `npm start`. The bot runs in a worker thread
 * (src/thread/bot-worker.ts: config, start-up checks, warm-up, the bot);
 * this thread serves its HTTP door, so /health and the front door's checks do
 * not wait for the bot's event loop. The process exits with the bot thread's
 * exit code. Importing it starts nothing (src/compile-cache.ts imports it).
 */
if (import.meta.main) runBotInWorker(new URL('./thread/bot-worker.ts', import.meta.url));
