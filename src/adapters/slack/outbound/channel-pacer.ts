/**
 * Per-channel pacing for the Slack outbound worker (Slack allows about one message a second per
 * channel). Pure bookkeeping, no clock of its own: the worker passes `now` and acts on the decision.
 *
 * The design: a job that may not be sent yet is parked in BullMQ's delayed set with a *slot*, the
 * channel's next free time after every slot already handed out, so other channels' jobs run
 * meanwhile. Slots of one channel strictly increase in the order its jobs were first seen (the
 * queue's FIFO order), BullMQ promotes delayed jobs in slot order, and a job without a slot is never
 * sent ahead of its channel's parked jobs: so a channel's messages keep their order. A parked job
 * that comes back finds at most one interval left to wait (the previous call may have ended late)
 * and waits it in process, rather than being parked again behind a later slot.
 *
 * Spacing is measured from the *end* of the previous call to the *start* of the next and must be
 * strictly greater than the interval: Slack counts arrivals, and the previous request arrived before
 * its answer came back.
 *
 * State is in memory, for the single worker consuming the queue (concurrency 1, no locking). After a
 * restart the parked jobs come back in slot order with no slot known: they are sent or parked again
 * as new jobs. A slot whose job has not come back long after it was due (the job was removed by
 * hand) is forgotten after `forgetAfterMs`.
 */

export interface ChannelPacerOptions {
  /** Minimum spacing between the end of one call to a channel and the start of the next. */
  intervalMs: number;
  /** A slot this long overdue is dropped (its job is gone). Default 10 minutes. */
  forgetAfterMs?: number;
}

export type PaceDecision =
  | { action: 'send' }
  /** The job's turn: wait in process (at most about one interval), then ask again. */
  | { action: 'wait'; ms: number }
  /** Too early: park the job until `until` (epoch ms, as the clock). */
  | { action: 'delay'; until: number };

interface ChannelState {
  lastCallEndedAt: number;
  lastSlot: number;
  /** Job ids holding a slot in this channel. */
  parked: Set<string>;
}

export class ChannelPacer {
  private readonly intervalMs: number;
  private readonly forgetAfterMs: number;
  private readonly channels = new Map<string, ChannelState>();
  private readonly slots = new Map<string, { channel: string; slot: number }>();

  constructor(options: ChannelPacerOptions) {
    this.intervalMs = options.intervalMs;
    this.forgetAfterMs = options.forgetAfterMs ?? 10 * 60_000;
  }

  decide(jobId: string, channel: string, now: number): PaceDecision {
    const state = this.state(channel);
    this.forgetOverdue(state, now);
    // The earliest moment strictly more than one interval after the last call ended.
    const freeAt = state.lastCallEndedAt + this.intervalMs + 1;
    const own = this.slots.get(jobId);
    if (own !== undefined) {
      const readyAt = Math.max(freeAt, own.slot);
      if (readyAt <= now) return { action: 'send' };
      // Promoted early (by hand, or clock skew): park again at the same slot rather than block.
      if (readyAt - now > this.intervalMs + 1) return { action: 'delay', until: readyAt };
      return { action: 'wait', ms: readyAt - now };
    }
    if (state.parked.size === 0 && freeAt <= now) return { action: 'send' };
    const slot = Math.max(now, freeAt, state.parked.size > 0 ? state.lastSlot + this.intervalMs + 1 : 0);
    state.lastSlot = slot;
    state.parked.add(jobId);
    this.slots.set(jobId, { channel, slot });
    return { action: 'delay', until: slot };
  }

  /** A call to the channel ended (whatever its outcome: a refused call counts against the limit too). */
  called(channel: string, endedAt: number): void {
    const state = this.state(channel);
    state.lastCallEndedAt = Math.max(state.lastCallEndedAt, endedAt);
  }

  /** The job is done with its slot: sent, dropped, or handed to BullMQ's retry backoff. */
  release(jobId: string): void {
    const own = this.slots.get(jobId);
    if (own === undefined) return;
    this.slots.delete(jobId);
    this.channels.get(own.channel)?.parked.delete(jobId);
  }

  private state(channel: string): ChannelState {
    let state = this.channels.get(channel);
    if (state === undefined) {
      state = { lastCallEndedAt: -Infinity, lastSlot: -Infinity, parked: new Set() };
      this.channels.set(channel, state);
    }
    return state;
  }

  private forgetOverdue(state: ChannelState, now: number): void {
    for (const jobId of state.parked) {
      const own = this.slots.get(jobId);
      if (own === undefined || now - own.slot > this.forgetAfterMs) this.release(jobId);
    }
  }
}
