// Calls that must not wait for their account's caps (src/iam/calls-must-not-wait.ts): inside
// `withoutWaiting` a call that would wait for a slot or a token fails at once; outside it, it waits.
import { GetPolicyCommand, IAMClient } from '@aws-sdk/client-iam';
import { createCallLimiter, limitConcurrentCalls } from '../../src/iam/call-limiter';
import { createCallRateLimiter, limitCallRate } from '../../src/iam/call-rate';
import { CallWouldWaitError, withoutWaiting } from '../../src/iam/calls-must-not-wait';

const policy = `<GetPolicyResponse><GetPolicyResult><Policy><PolicyName>p</PolicyName></Policy></GetPolicyResult></GetPolicyResponse>`;

/** An IAM client answered at once with a policy, counting the requests that reach "IAM". */
function answeringClient() {
  const sent = { count: 0 };
  const iam = new IAMClient({
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    requestHandler: {
      handle: () => {
        sent.count += 1;
        return Promise.resolve({
          response: { statusCode: 200, headers: { 'content-type': 'text/xml' }, body: Buffer.from(policy) },
        });
      },
    },
  });
  return { iam, sent };
}

const getPolicy = (iam: IAMClient) =>
  iam.send(new GetPolicyCommand({ PolicyArn: 'arn:aws:iam::123456789012:policy/p' }));

test('with the slots taken, a call without waiting fails at once and sends nothing; a free slot lets it go', async () => {
  const { iam, sent } = answeringClient();
  const limiter = createCallLimiter(1);
  limitConcurrentCalls(iam, limiter);
  try {
    await limiter.acquire(); // another call holds the one slot
    await expect(withoutWaiting(() => getPolicy(iam))).rejects.toBeInstanceOf(CallWouldWaitError);
    expect([sent.count, limiter.active, limiter.waiting]).toEqual([0, 1, 0]);
    // Outside the scope the call waits for the slot.
    const waiting = getPolicy(iam);
    await new Promise((resolve) => setImmediate(resolve));
    expect(limiter.waiting).toBe(1);
    limiter.release();
    expect((await waiting).Policy?.PolicyName).toBe('p');
    // Slot free again: the call without waiting goes, and gives its slot back.
    expect((await withoutWaiting(() => getPolicy(iam))).Policy?.PolicyName).toBe('p');
    expect([sent.count, limiter.active]).toEqual([2, 0]);
  } finally {
    iam.destroy();
  }
});

test('with the tokens spent, a call without waiting fails at once and takes none; waiting calls are not passed', async () => {
  const { iam, sent } = answeringClient();
  const rate = createCallRateLimiter(1);
  limitCallRate(iam, rate);
  try {
    await getPolicy(iam); // the one token of this second
    await expect(withoutWaiting(() => getPolicy(iam))).rejects.toBeInstanceOf(CallWouldWaitError);
    expect(sent.count).toBe(1);
    const queued = getPolicy(iam); // waits about a second for the next token
    await new Promise((resolve) => setImmediate(resolve));
    expect(rate.waiting).toBe(1);
    await expect(withoutWaiting(() => getPolicy(iam))).rejects.toBeInstanceOf(CallWouldWaitError);
    await queued;
    expect(sent.count).toBe(2);
  } finally {
    iam.destroy();
  }
});
