/** Secret, config and network changes as Docker events: the name only, never the content. */
import t from 'tap';
import { eventsFromStore } from '../../lib/events/event-from-store.js';
import type { NameLookup } from '../../lib/events/event-names.js';
import type { StoreEvent } from '../../lib/store/store.js';

const names = {} as NameLookup;
const TS = '2026-01-01T00:00:00.000Z';

t.test('secret/config/network create, update and remove events carry the name and nothing else', async (t) => {
  const secret = { ID: 's1', Version: { Index: 1 }, CreatedAt: TS, UpdatedAt: TS, Spec: { Name: 'db_pass' }, Sealed: { Nonce: 'bm9uY2U=', Tag: 'dGFn', Data: 'Q0lQSEVS' } };
  for (const action of ['create', 'update', 'delete'] as const) {
    const drafts = eventsFromStore({ kind: 'secret', action, id: 's1', object: secret } as StoreEvent, names);
    t.same(drafts, [{ Type: 'secret', Action: action === 'delete' ? 'remove' : action, Actor: { ID: 's1', Attributes: { name: 'db_pass' } }, scope: 'swarm' }]);
    t.notMatch(JSON.stringify(drafts), /Q0lQSEVS|Sealed|Data/, 'no ciphertext in the event');
  }
  const config = { ...secret, ID: 'c1', Spec: { Name: 'app.conf' } };
  t.equal(eventsFromStore({ kind: 'config', action: 'create', id: 'c1', object: config } as StoreEvent, names)[0]!.Type, 'config');
  const network = { Name: 'net1', Id: 'n1' };
  t.same(eventsFromStore({ kind: 'network', action: 'delete', id: 'n1', object: network } as unknown as StoreEvent, names),
    [{ Type: 'network', Action: 'remove', Actor: { ID: 'n1', Attributes: { name: 'net1' } }, scope: 'swarm' }]);
});
