import t from 'tap';
import { parseReplicas, parseScaleSpecifier } from '../../cmd/scale-spec.js';

t.test('valid specifiers', async (t) => {
  t.same(parseScaleSpecifier('web=3'), { service: 'web', value: '3' });
  t.same(parseScaleSpecifier('a=b=c'), { service: 'a', value: 'b=c' });
  t.equal(parseReplicas({ service: 'web', value: '0' }), 0);
  t.equal(parseReplicas({ service: 'web', value: '12' }), 12);
});

t.test('specifiers without name=value are refused like docker', async (t) => {
  for (const bad of ['web', 'web=', '=3', '']) {
    t.throws(() => parseScaleSpecifier(bad), { message: new RegExp(`^invalid scale specifier '${bad}'\\.`) }, bad);
  }
});

t.test('bad replica values name the service', async (t) => {
  for (const value of ['abc', '-1', '1.5', ' 2']) {
    t.throws(() => parseReplicas({ service: 'web', value }), { message: `web: invalid replicas value ${value}: must be a non-negative integer` });
  }
});
