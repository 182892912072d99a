// The rehearsal's one clock. Nothing sleeps: Wait states and modelled step durations move it, and
// every time a rehearsal reports (durations, when a state was entered) is read from it.
export class SimulatedClock {
  private nowMs: number;
  private readonly startMs: number;
  private readonly listeners: ((nowMs: number) => void)[] = [];

  constructor(start: Date) {
    this.startMs = start.getTime();
    this.nowMs = this.startMs;
  }

  now(): Date {
    return new Date(this.nowMs);
  }

  iso(): string {
    return this.now().toISOString();
  }

  /** Seconds since the rehearsal started. */
  elapsedSeconds(): number {
    return (this.nowMs - this.startMs) / 1000;
  }

  /** Called after every move, in small steps, so resources change state at the right moments. */
  onTick(listener: (nowMs: number) => void): void {
    this.listeners.push(listener);
  }

  advance(seconds: number, stepSeconds = 5): void {
    const target = this.nowMs + Math.max(0, seconds) * 1000;
    while (this.nowMs < target) {
      this.nowMs = Math.min(target, this.nowMs + stepSeconds * 1000);
      for (const listener of this.listeners) listener(this.nowMs);
    }
  }
}

/** "+mm:ss" (or "+h:mm:ss") since the start. */
export function formatElapsed(seconds: number): string {
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  const mm = String(m).padStart(2, '0');
  const ss = String(sec).padStart(2, '0');
  return h > 0 ? `+${h}:${mm}:${ss}` : `+${mm}:${ss}`;
}
