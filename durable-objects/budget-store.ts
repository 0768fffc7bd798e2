/**
 * A RateLimiter object's token budget or daily quota (token-budget.ts has the arithmetic) and its
 * open reservations, in the object's SQLite storage (synchronous KV API): written before each
 * call returns, so an eviction or a restart neither refunds nor forgets a reservation, and a
 * settlement that reaches a fresh instance still finds it.
 *
 * Every reservation is settled by the isolate once the provider answered, or charged in full:
 * one not settled within `settleWithinMs` is deleted by the object's alarm (its amount stays
 * spent), and a settlement after that changes nothing. Open reservations are bounded by the
 * limits: each holds at least one unit, so no more than `limit` of them are open at once per
 * `windowMs`, plus what refilled meanwhile.
 *
 * The state is deleted once it means nothing (a budget drained back to full with no
 * reservation open; a quota's period over and its settlement window past), so budgets named by
 * client addresses leave no storage behind.
 */
import { charge, drain, emptyBudget, heldAmounts, idleAt, reserve, type BudgetMeter, type BudgetState } from "./token-budget";

interface StoredBudget extends BudgetState {
  /** The meters of the latest reservation: settlements refill with them. */
  meters: BudgetMeter[];
  /** Reservations not yet settled nor expired. */
  open: number;
  /** The earliest expiry among open reservations (maybe earlier than the real one after a settlement). */
  nextExpiry: number;
  /** From then on, with no reservation open, the state can be deleted. */
  forgetAt: number;
}

interface Reservation {
  /** Per meter, what the reservation took. */
  held: number[];
  /** Epoch ms after which it is charged in full and can no longer be settled. */
  expiresAt: number;
}

/** A budget as the admin API shows it: refilled to now. */
export interface BudgetView {
  meters: BudgetMeter[];
  /** Per meter, what reservations and settled usage hold now (may exceed the limit: a debt). */
  spent: number[];
  /** Reservations not yet settled nor expired. */
  open: number;
}

export interface Reserved {
  allowed: boolean;
  remaining: number[];
  retryAfterMs: number;
  /** Present when allowed and a settlement is expected. */
  reservationId?: string;
}

const BUDGET_KEY = "budget";
const RESERVATION_PREFIX = "budget-reservation:";

export class BudgetStore {
  constructor(private readonly kv: SyncKvStorage) {}

  /**
   * Reserves `amounts`, or refuses. `settleWithinMs` 0: the charge is final (nothing to settle).
   * `periodEndsAt`: a quota's end, after which (and its settlement window) the state is deleted.
   */
  reserve(meters: BudgetMeter[], amounts: number[], settleWithinMs: number, now: number, periodEndsAt?: number): Reserved {
    const stored = this.kv.get<StoredBudget>(BUDGET_KEY);
    const state = stored ?? emptyBudget(meters.length, now);
    const held = heldAmounts(meters, amounts);
    const outcome = reserve(state, meters, held, now);
    if (!outcome.allowed) return { allowed: false, remaining: outcome.remaining, retryAfterMs: outcome.retryAfterMs };
    let open = stored && stored.spent.length === meters.length ? stored.open : 0;
    let nextExpiry = stored?.nextExpiry ?? Infinity;
    let reservationId: string | undefined;
    if (settleWithinMs > 0) {
      reservationId = crypto.randomUUID();
      const expiresAt = now + settleWithinMs;
      this.kv.put<Reservation>(RESERVATION_PREFIX + reservationId, { held, expiresAt });
      open++;
      nextExpiry = Math.min(nextExpiry, expiresAt);
    }
    const forgetAt = Math.max(stored?.forgetAt ?? 0, periodEndsAt ?? idleAt(outcome.state, meters), (periodEndsAt ?? now) + settleWithinMs);
    this.kv.put<StoredBudget>(BUDGET_KEY, { ...outcome.state, meters, open, nextExpiry, forgetAt });
    return { allowed: true, remaining: outcome.remaining, retryAfterMs: 0, reservationId };
  }

  /**
   * Replaces a reservation by what was used. False when the reservation is unknown or expired:
   * it was charged in full.
   */
  settle(reservationId: string, actual: number[], now: number): boolean {
    const key = RESERVATION_PREFIX + reservationId;
    const reservation = this.kv.get<Reservation>(key);
    const stored = this.kv.get<StoredBudget>(BUDGET_KEY);
    if (!reservation || !stored) return false;
    this.kv.delete(key);
    const open = Math.max(0, stored.open - 1);
    if (reservation.expiresAt < now || actual.length !== reservation.held.length) {
      this.kv.put<StoredBudget>(BUDGET_KEY, { ...stored, open });
      return false;
    }
    // A usage that is no number charges the reservation as it is.
    const deltas = actual.map((used, index) => (Number.isFinite(used) ? Math.max(0, used) - reservation.held[index]! : 0));
    const state = charge(stored, stored.meters, deltas, now);
    // A quota's meters never drain: its state is forgotten with its period (reserve set that).
    const idle = idleAt(state, stored.meters);
    const forgetAt = Number.isFinite(idle) ? Math.max(stored.forgetAt, idle) : stored.forgetAt;
    this.kv.put<StoredBudget>(BUDGET_KEY, { ...stored, ...state, open, forgetAt });
    return true;
  }

  /** The budget refilled to `now`; takes nothing. Undefined when nothing is stored. */
  view(now: number): BudgetView | undefined {
    const stored = this.kv.get<StoredBudget>(BUDGET_KEY);
    if (!stored) return undefined;
    return { meters: stored.meters, spent: drain(stored, stored.meters, now).spent, open: stored.open };
  }

  /** The earliest time the alarm must run for this budget; undefined when nothing is stored. */
  alarmAt(): number | undefined {
    const stored = this.kv.get<StoredBudget>(BUDGET_KEY);
    return stored && Math.min(stored.nextExpiry, stored.forgetAt);
  }

  /** Charges expired reservations in full (drops them) and deletes a state that means nothing. */
  sweep(now: number): void {
    const stored = this.kv.get<StoredBudget>(BUDGET_KEY);
    if (!stored) return;
    let open = 0;
    let nextExpiry = Infinity;
    for (const [key, reservation] of this.kv.list<Reservation>({ prefix: RESERVATION_PREFIX })) {
      if (reservation.expiresAt <= now) this.kv.delete(key);
      else {
        open++;
        nextExpiry = Math.min(nextExpiry, reservation.expiresAt);
      }
    }
    if (open === 0 && stored.forgetAt <= now) this.kv.delete(BUDGET_KEY);
    else this.kv.put<StoredBudget>(BUDGET_KEY, { ...stored, ...drain(stored, stored.meters, now), open, nextExpiry });
  }

  /** Forgets the budget and its reservations. */
  clear(): void {
    for (const [key] of this.kv.list({ prefix: RESERVATION_PREFIX })) this.kv.delete(key);
    this.kv.delete(BUDGET_KEY);
  }
}
