/** A processor whose answers the test decides, one call at a time: deterministic, no card table, no clock. */
import type { DeclineCode } from '../../src/domain/payment.ts';
import { type AuthorizeOutcome, type FollowUpOutcome, type Processor, ProcessorUnavailableError } from '../../src/payments/processor.ts';

export type Answer = 'approve' | 'decline' | 'unavailable' | 'challenge';

export function fakeProcessor() {
  const queue: Answer[] = [];
  let calls = 0;
  const next = (): Answer => queue.shift() ?? 'approve';
  const decline: DeclineCode = 'do_not_honor';
  const first = async (capture: boolean): Promise<AuthorizeOutcome> => {
    calls++;
    const a = next();
    if (a === 'unavailable') throw new ProcessorUnavailableError();
    if (a === 'decline') return { result: 'declined', processorRef: `ref_${calls}`, decline };
    if (a === 'challenge') return { result: 'challenge', processorRef: `ref_${calls}`, challengeUrl: 'https://acs.test/' };
    return { result: 'approved', processorRef: `ref_${calls}`, authCode: '123456', captured: capture };
  };
  const followUp = async (): Promise<FollowUpOutcome> => {
    calls++;
    const a = next();
    if (a === 'unavailable') throw new ProcessorUnavailableError();
    return a === 'decline' ? { result: 'declined', decline } : { result: 'approved', processorRef: `ref_${calls}` };
  };
  const processor: Processor = {
    name: 'fake',
    authorize: (r) => first(r.capture),
    credit: () => first(true),
    completeChallenge: (r) =>
      r.authenticated ? first(r.capture) : Promise.resolve({ result: 'declined', processorRef: 'x', decline: 'authentication_failed' }),
    capture: followUp,
    refund: followUp,
    void: followUp,
  };
  return {
    processor,
    /** The answers of the next calls, in order; after them every call is approved. */
    answer: (...answers: Answer[]) => queue.push(...answers),
    get calls() {
      return calls;
    },
  };
}
