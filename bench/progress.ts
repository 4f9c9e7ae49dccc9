// Progress on stderr while the benchmark runs: one line every few seconds (rewritten in place on a terminal).

export interface Progress {
  /** Counts one finished event. */
  tick(): void;
  /** Stops the ticker and prints the phase's last line. */
  done(note?: string): void;
}

/** Rewritten in place every 2 s on a terminal; a new line every 5 s otherwise (logs). */
const TTY_INTERVAL_MS = 2000;
const LOG_INTERVAL_MS = 5000;

export function log(message: string): void {
  process.stderr.write(`bench: ${message}\n`);
}

export function progress(label: string, total: number, extra: () => string = () => ''): Progress {
  const started = performance.now();
  const tty = process.stderr.isTTY === true;
  let finished = 0;
  const line = () => {
    const seconds = (performance.now() - started) / 1000;
    const rate = seconds > 0 ? finished / seconds : 0;
    const more = extra();
    return `bench: [${label}] ${finished}/${total} events, ${seconds.toFixed(0)} s, ${rate.toFixed(1)} ev/s${more ? `, ${more}` : ''}`;
  };
  const print = () => process.stderr.write(tty ? `\r\x1b[2K${line()}` : `${line()}\n`);
  const timer = setInterval(print, tty ? TTY_INTERVAL_MS : LOG_INTERVAL_MS);
  return {
    tick: () => {
      finished += 1;
    },
    done: (note) => {
      clearInterval(timer);
      process.stderr.write(`${tty ? '\r\x1b[2K' : ''}${line()}${note ? ` — ${note}` : ''}\n`);
    },
  };
}
