import { ChannelPacer } from './channel-pacer';

const A = 'C0AAAAAAAA';
const B = 'C0BBBBBBBB';

describe('ChannelPacer', () => {
  it('sends the first message of a channel at once and parks the next ones at increasing slots', () => {
    const pacer = new ChannelPacer({ intervalMs: 100 });
    expect(pacer.decide('a1', A, 1000)).toEqual({ action: 'send' });
    pacer.called(A, 1010);
    pacer.release('a1');
    expect(pacer.decide('a2', A, 1011)).toEqual({ action: 'delay', until: 1111 });
    expect(pacer.decide('a3', A, 1012)).toEqual({ action: 'delay', until: 1212 });
    expect(pacer.decide('a4', A, 1013)).toEqual({ action: 'delay', until: 1313 });
    // Another channel is not held up.
    expect(pacer.decide('b1', B, 1014)).toEqual({ action: 'send' });
  });

  it('sends a parked job at its slot, and waits in process when the previous call ended late', () => {
    const pacer = new ChannelPacer({ intervalMs: 100 });
    pacer.decide('a1', A, 1000);
    pacer.called(A, 1000);
    pacer.decide('a2', A, 1001); // slot 1101
    pacer.decide('a3', A, 1002); // slot 1202
    expect(pacer.decide('a2', A, 1101)).toEqual({ action: 'send' });
    pacer.called(A, 1150); // a slow call
    pacer.release('a2');
    expect(pacer.decide('a3', A, 1202)).toEqual({ action: 'wait', ms: 49 });
    expect(pacer.decide('a3', A, 1251)).toEqual({ action: 'send' });
  });

  it('puts a new job behind the channel parked jobs even when the channel is free', () => {
    const pacer = new ChannelPacer({ intervalMs: 100 });
    pacer.decide('a1', A, 1000);
    pacer.called(A, 1000);
    expect(pacer.decide('a2', A, 1001)).toEqual({ action: 'delay', until: 1101 });
    // a2 is due but not back yet; a5 arrives first and must not overtake it.
    expect(pacer.decide('a5', A, 1500)).toEqual({ action: 'delay', until: 1500 });
    pacer.release('a2');
    pacer.release('a5');
    expect(pacer.decide('a6', A, 1600)).toEqual({ action: 'send' });
  });

  it('parks a job promoted long before its slot again, at the same slot', () => {
    const pacer = new ChannelPacer({ intervalMs: 100 });
    pacer.decide('a1', A, 1000);
    pacer.called(A, 1000);
    pacer.decide('a2', A, 1001);
    pacer.decide('a3', A, 1002);
    expect(pacer.decide('a3', A, 1003)).toEqual({ action: 'delay', until: 1202 });
  });

  it('forgets a slot whose job never came back', () => {
    const pacer = new ChannelPacer({ intervalMs: 100, forgetAfterMs: 5000 });
    pacer.decide('a1', A, 1000);
    pacer.called(A, 1000);
    pacer.decide('gone', A, 1001);
    expect(pacer.decide('a3', A, 2000)).toEqual({ action: 'delay', until: 2000 });
    pacer.release('a3');
    expect(pacer.decide('a4', A, 7000)).toEqual({ action: 'send' });
  });
});
