import type { RequestState } from './state.js';
import { addDuration, addMonths, type Duration, parseDuration } from './time.js';

/**
 * The deadlines of data-subject requests (Art. 12(3)): the law gives the controller one calendar
 * month from receipt, extendable by two further months; a controller may promise less in its
 * register (`controller.answerPeriod`), and then the stricter of the two applies.
 */

/** The law's answer period: one calendar month from receipt. */
export const LAW_ANSWER_PERIOD = 'P1M';

/** The longest calendar month, in days: a period longer than this is longer than every month. */
const LONGEST_MONTH_DAYS = 31;
const DAY_MS = 86_400_000;

/**
 * Why `period` cannot be a controller's answer period, or undefined if it can. A period that is
 * longer than one calendar month whatever the day of receipt (more than 31 days, or a month and
 * more) promises more time than the law gives; one that is longer only after some receipts (P30D
 * from February 1) is capped there by the law's month (`requestDueAt`).
 */
export function answerPeriodIssue(period: string): string | undefined {
  let d: Duration;
  try {
    d = parseDuration(period);
  } catch {
    return 'expected an ISO 8601 duration such as P30D, P4W or P1M';
  }
  const months = d.years * 12 + d.months;
  const ms = d.days * DAY_MS + d.ms;
  if (months === 0 && ms === 0) return 'must be longer than zero';
  if (months > 1 || (months === 1 && ms > 0) || ms > LONGEST_MONTH_DAYS * DAY_MS)
    return "longer than the law's one calendar month (Art. 12(3)): at most P1M or P31D";
  return undefined;
}

/**
 * When a request received at `receivedAt` is due: the earlier of receipt plus the law's month and
 * receipt plus the controller's `answerPeriod` (default: the law's month), each lengthened by the
 * `extensionMonths` granted (Art. 12(3)). Months are counted first, then days, clamped to the
 * month's end: Jan 31 + P1M is Feb 28 (29 in a leap year); Jan 31 with P30D is due Feb 28 too,
 * as the law's month ends before Mar 2; Mar 1 with P30D is due Mar 31.
 */
export function requestDueAt(receivedAt: string, answerPeriod = LAW_ANSWER_PERIOD, extensionMonths = 0): string {
  const received = new Date(receivedAt);
  const law = addMonths(received, 1 + extensionMonths);
  const own = parseDuration(answerPeriod);
  const promised = addDuration(received, { ...own, years: 0, months: own.years * 12 + own.months + extensionMonths });
  return (promised.getTime() < law.getTime() ? promised : law).toISOString();
}

/**
 * The end of a request's first answer period, before any extension: an extension must be decided
 * (and the subject told) by then. A request from before registers set a period ran on the law's.
 */
export const firstDueAt = (q: Pick<RequestState, 'receivedAt' | 'answerPeriod'>): string =>
  requestDueAt(q.receivedAt, q.answerPeriod);

/** What deciding whether a request missed its deadline needs: the request's state, or its tracked row. */
export interface DeadlineFacts {
  status: RequestState['status'];
  dueAt: string;
  closedAt: string | null;
  missedDeadlineAt?: string | null;
}

/**
 * The deadline a request missed, or null if it has not missed one by `now`: the one recorded when
 * an event found it open past its due date, else its due date if it was answered after it or is
 * still open after it. Once missed, always missed: answering the request does not undo it.
 */
export function missedDeadlineAt(q: DeadlineFacts, now: string): string | null {
  if (q.missedDeadlineAt) return q.missedDeadlineAt;
  const answeredOrNow = q.status === 'OPEN' ? now : (q.closedAt ?? now);
  return answeredOrNow > q.dueAt ? q.dueAt : null;
}
