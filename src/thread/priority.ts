import { setPriority } from 'node:os';
import { errorFields, type Logger } from '../log.ts';

/**
 * Gives the calling thread the nice value `nice`. `npm start`'s HTTP thread
 * does little work but must get a core at once: under load it shares the
 * cores with the bot's busy thread and other processes, and /health waited
 * for the scheduler (see README, Performance, "Threads").
 *
 * Linux only: there a nice value belongs to one thread, so the bot's busy
 * thread keeps its own. Elsewhere setpriority() would change the whole
 * process, and nothing is done. A nice value below 0 needs root or
 * CAP_SYS_NICE, or an RLIMIT_NICE that allows it (systemd's LimitNICE=); without
 * it the thread keeps its priority.
 */
export function setThreadNice(nice: number, log: Logger): void {
  if (nice === 0) return;
  if (process.platform !== 'linux') {
    log.debug('HTTP_THREAD_NICE applies on Linux only; the HTTP thread keeps its priority');
    return;
  }
  try {
    setPriority(0, nice);
  } catch (error) {
    log.info(
      `the HTTP thread could not take nice ${nice}; /health may answer later under load. Allow it (systemd: LimitNICE=${nice}; Docker: --cap-add SYS_NICE) or set HTTP_THREAD_NICE=0 to stop trying`,
      errorFields(error),
    );
  }
}
