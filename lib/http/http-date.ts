/**
 * The `Date` header of the HTTP listener's responses, in the IMF-fixdate form (RFC 9110, section 5.6.7,
 * `Sun, 06 Nov 1994 08:49:37 GMT`), composed from a `Date`'s UTC getters.
 *
 * Node's HTTP server writes this header with `Date.prototype.toUTCString()`, whose first call sets up V8's date
 * cache and with it ICU's time-zone data: ~1 MB of RSS paged in by the first scrape of `/metrics` of an otherwise
 * idle daemon, kept for the life of the process (bench/README.md, "The first scrape's time zones"). The logger's
 * timestamps avoid it the same way (`isoTime` in lib/log/logger-format.ts).
 */

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'] as const;

const two = (n: number): string => (n < 10 ? `0${n}` : String(n));

/** `t` (ms since the epoch, years 1000-9999) as an IMF-fixdate; other years as `toUTCString()` gives them. */
export const httpDate = (t: number): string => {
  const d = new Date(t);
  const y = d.getUTCFullYear();
  if (!(y >= 1000 && y <= 9999)) return d.toUTCString();
  return (
    `${DAYS[d.getUTCDay()]!}, ${two(d.getUTCDate())} ${MONTHS[d.getUTCMonth()]!} ${y} ` +
    `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} GMT`
  );
};

/**
 * {@link httpDate} of the current second, formatted once per second (as Node's own `Date` header is):
 * `now` in ms since the epoch.
 */
export const httpDateCache = (): ((now: number) => string) => {
  let second = NaN;
  let text = '';
  return (now) => {
    const s = Math.floor(now / 1000);
    if (s !== second) {
      second = s;
      text = httpDate(s * 1000);
    }
    return text;
  };
};
