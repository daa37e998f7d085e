import { runBotInWorker } from './thread/main-side.ts';

/**
 * Entry point of `npm start`. The bot runs in a worker thread
 * (src/thread/bot-worker.ts: config, start-up checks, the bot); this thread
 * serves its HTTP door, so /health and the front door's checks never wait
 * behind onboarding work. The process exits with the bot thread's exit code.
 */
runBotInWorker(new URL('./thread/bot-worker.ts', import.meta.url));
