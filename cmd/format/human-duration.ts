/** go-units HumanDuration, as docker prints ages ("5 seconds", "About a minute", "3 days"). */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < 1) return 'Less than a second';
  if (seconds === 1) return '1 second';
  if (seconds < 60) return `${seconds} seconds`;
  const minutes = Math.floor(seconds / 60);
  if (minutes === 1) return 'About a minute';
  if (minutes < 60) return `${minutes} minutes`;
  const hours = Math.round(ms / 3_600_000);
  if (hours === 1) return 'About an hour';
  if (hours < 48) return `${hours} hours`;
  if (hours < 24 * 7 * 2) return `${Math.floor(hours / 24)} days`;
  if (hours < 24 * 30 * 2) return `${Math.floor(hours / 24 / 7)} weeks`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24 / 30)} months`;
  return `${Math.floor(Math.floor(ms / 3_600_000) / 24 / 365)} years`;
}

/** "5 seconds ago" style age of an RFC 3339 time; future times count as now. */
export function ago(time: string | undefined, now: number, capitalized = false): string {
  const t = time === undefined ? Number.NaN : Date.parse(time);
  if (Number.isNaN(t)) return '';
  const text = `${humanDuration(Math.max(0, now - t))} ago`;
  return capitalized ? text : text.toLowerCase();
}

/** Docker's PrettyPrint: first letter upper-cased ("running" → "Running"). */
export function capitalize(text: string): string {
  return text === '' ? text : text[0]!.toUpperCase() + text.slice(1);
}
