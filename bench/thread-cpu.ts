/**
 * CPU time of the calling thread since `since` (ms), and the reading to pass next time. A module
 * of its own: the bot's process imports it (bench/ack-app.ts, bench/bot-thread.ts), and nothing
 * else of the benchmark's may add to what that process holds.
 */
export function threadCpuMs(since?: NodeJS.CpuUsage): { ms: number; now: NodeJS.CpuUsage } {
  const now = process.threadCpuUsage();
  const ms = since ? (now.user + now.system - since.user - since.system) / 1000 : 0;
  return { ms, now };
}
