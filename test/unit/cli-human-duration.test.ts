import t from 'tap';
import { ago, capitalize, humanDuration } from '../../cmd/format/human-duration.js';
import { NOW } from './cli-fixtures.js';

t.test('humanDuration matches go-units', async (t) => {
  const cases: Array<[number, string]> = [
    [0, 'Less than a second'], [999, 'Less than a second'], [1000, '1 second'], [5_000, '5 seconds'],
    [59_999, '59 seconds'], [60_000, 'About a minute'], [119_000, 'About a minute'], [120_000, '2 minutes'],
    [59 * 60_000, '59 minutes'], [60 * 60_000, 'About an hour'], [89 * 60_000, 'About an hour'], [91 * 60_000, '2 hours'],
    [47 * 3_600_000, '47 hours'], [48 * 3_600_000, '2 days'], [14 * 86_400_000, '2 weeks'], [60 * 86_400_000, '2 months'],
    [2 * 365 * 86_400_000, '2 years'],
  ];
  for (const [ms, text] of cases) t.equal(humanDuration(ms), text, `${ms} ms`);
});

t.test('ago: lower-case for ps, capitalised on demand, future counts as now', async (t) => {
  t.equal(ago(new Date(NOW - 5000).toISOString(), NOW), '5 seconds ago');
  t.equal(ago(new Date(NOW - 300).toISOString(), NOW), 'less than a second ago');
  t.equal(ago(new Date(NOW - 70_000).toISOString(), NOW, true), 'About a minute ago');
  t.equal(ago(new Date(NOW + 10_000).toISOString(), NOW), 'less than a second ago');
  t.equal(ago(undefined, NOW), '');
  t.equal(capitalize('running'), 'Running');
});
