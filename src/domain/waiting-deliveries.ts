// How many deliveries may wait for their result at once in one worker: in all, per account and per
// policy. A waiting delivery holds a local activity slot and its event workflow's task; the limits keep
// enough of them for the policy workflows that produce the results, and for the other accounts.

export interface WaitingLimits {
  /** In the whole worker. */
  total: number;
  /** For one account (the default account counts as one). */
  perAccount: number;
  /** For one policy of one account. */
  perPolicy: number;
}

export interface WaitingDeliveries {
  /** Counts a delivery in and answers true, or answers false (and counts nothing) if it would pass a limit. */
  tryEnter(account: string, policy: string): boolean;
  /** Counts out a delivery `tryEnter` let in. */
  leave(account: string, policy: string): void;
  readonly total: number;
}

export function waitingDeliveries(limits: WaitingLimits): WaitingDeliveries {
  let total = 0;
  const byAccount = new Map<string, number>();
  const byPolicy = new Map<string, number>();
  const policyKey = (account: string, policy: string) => JSON.stringify([account, policy]);
  const add = (counts: Map<string, number>, key: string, change: number) => {
    const next = (counts.get(key) ?? 0) + change;
    if (next > 0) counts.set(key, next);
    else counts.delete(key);
  };
  return {
    tryEnter(account, policy) {
      const key = policyKey(account, policy);
      if (
        total >= limits.total ||
        (byAccount.get(account) ?? 0) >= limits.perAccount ||
        (byPolicy.get(key) ?? 0) >= limits.perPolicy
      )
        return false;
      total += 1;
      add(byAccount, account, 1);
      add(byPolicy, key, 1);
      return true;
    },
    leave(account, policy) {
      total -= 1;
      add(byAccount, account, -1);
      add(byPolicy, policyKey(account, policy), -1);
    },
    get total() {
      return total;
    },
  };
}
