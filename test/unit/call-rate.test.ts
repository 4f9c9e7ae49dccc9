// The per-account call rate (src/iam/call-rate.ts): calls over the rate wait, in arrival order, and every
// HTTP attempt of an IAM client, each retry included, takes a token.
import { GetPolicyCommand, IAMClient } from '@aws-sdk/client-iam';
import { createCallRateLimiter, limitCallRate } from '../../src/iam/call-rate';

describe('the call rate limiter (fake timers)', () => {
  beforeEach(() => jest.useFakeTimers({ now: 1_000_000 }));
  afterEach(() => jest.useRealTimers());

  /** Starts `count` calls on `limiter`; `at` gets each one's time of going, by index. */
  function calls(limiter: ReturnType<typeof createCallRateLimiter>, count: number) {
    const at: (number | undefined)[] = Array.from({ length: count }, () => undefined);
    const started = Date.now();
    const all = Promise.all(
      Array.from({ length: count }, (_, i) =>
        limiter.acquire().then(() => {
          at[i] = Date.now() - started;
        }),
      ),
    );
    return { at, all };
  }

  test("a second's worth goes at once; the rest wait their turn at the rate, none refused", async () => {
    const limiter = createCallRateLimiter(2);
    const { at, all } = calls(limiter, 5);
    await jest.advanceTimersByTimeAsync(0);
    expect(at).toEqual([0, 0, undefined, undefined, undefined]);
    expect(limiter.waiting).toBe(3);
    await jest.advanceTimersByTimeAsync(499);
    expect(at[2]).toBeUndefined();
    await jest.advanceTimersByTimeAsync(1);
    expect(at[2]).toBe(500);
    await jest.advanceTimersByTimeAsync(1_000);
    await all;
    expect(at).toEqual([0, 0, 500, 1_000, 1_500]);
    expect(limiter.waiting).toBe(0);
  });

  test('a call arriving while others wait queues behind them, even once a token is due', async () => {
    const limiter = createCallRateLimiter(1);
    const first = calls(limiter, 3); // 0, 1000, 2000
    await jest.advanceTimersByTimeAsync(1_200);
    const late = calls(limiter, 1);
    await jest.advanceTimersByTimeAsync(0);
    expect(late.at).toEqual([undefined]);
    await jest.advanceTimersByTimeAsync(2_000);
    await Promise.all([first.all, late.all]);
    expect(first.at).toEqual([0, 1_000, 2_000]);
    expect(late.at).toEqual([1_800]); // at 3,000: after the third
  });

  test("one limiter's flood does not delay another's calls", async () => {
    const b = createCallRateLimiter(2);
    const a = createCallRateLimiter(2);
    const flood = calls(b, 20);
    await jest.advanceTimersByTimeAsync(100);
    const prompt = calls(a, 2);
    await jest.advanceTimersByTimeAsync(0);
    expect(prompt.at).toEqual([0, 0]);
    expect(b.waiting).toBe(18);
    await jest.advanceTimersByTimeAsync(10_000);
    await flood.all;
  });

  test('a rate below one call a second spaces calls by more than a second', async () => {
    const { at, all } = calls(createCallRateLimiter(0.5), 3);
    await jest.advanceTimersByTimeAsync(4_000);
    await all;
    expect(at).toEqual([0, 2_000, 4_000]);
  });

  test('refuses a rate that is not a positive number', () => {
    for (const bad of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => createCallRateLimiter(bad)).toThrow(/positive number/);
    }
  });
});

describe('the call rate middleware on a real IAM client', () => {
  const throttled =
    '<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error>' +
    '<RequestId>r1</RequestId></ErrorResponse>';
  const policy =
    '<GetPolicyResponse><GetPolicyResult><Policy><PolicyName>p</PolicyName></Policy></GetPolicyResult>' +
    '<ResponseMetadata><RequestId>r2</RequestId></ResponseMetadata></GetPolicyResponse>';

  test('every attempt takes a token, the retries of a throttled call too, before it is signed and sent', async () => {
    const events: string[] = [];
    let attempts = 0;
    const iam = new IAMClient({
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      maxAttempts: 3,
      retryMode: 'standard',
      // IAM answers the first two attempts Throttling, the third with the policy.
      requestHandler: {
        handle: (request: { headers: Record<string, string> }) => {
          attempts += 1;
          events.push(`sent ${attempts}${request.headers.authorization ? ' signed' : ''}`);
          const ok = attempts === 3;
          return Promise.resolve({
            response: {
              statusCode: ok ? 200 : 400,
              headers: { 'content-type': 'text/xml' },
              body: Buffer.from(ok ? policy : throttled),
            },
          });
        },
      },
    });
    limitCallRate(iam, {
      acquire: () => {
        events.push('token');
        return Promise.resolve();
      },
      tryAcquire: () => true,
      waiting: 0,
    });
    try {
      const out = await iam.send(new GetPolicyCommand({ PolicyArn: 'arn:aws:iam::123456789012:policy/p' }));
      expect(out.Policy?.PolicyName).toBe('p');
      expect(out.$metadata.attempts).toBe(3);
      expect(events).toEqual(['token', 'sent 1 signed', 'token', 'sent 2 signed', 'token', 'sent 3 signed']);
    } finally {
      iam.destroy();
    }
  }, 30_000);
});
