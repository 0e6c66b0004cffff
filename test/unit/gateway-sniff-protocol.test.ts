import t from 'tap';
import { MAX_SNIFF_BYTES, portModeOf, sniffProtocol } from '../../gateway/sniff-protocol.js';

const b = (s: string | number[]) => (typeof s === 'string' ? Buffer.from(s, 'latin1') : Buffer.from(s));

t.test('HTTP/1.x request lines are HTTP', async (t) => {
  for (const line of ['GET / HTTP/1.1\r\n', 'POST /a?b=c HTTP/1.0\r\nHost: x\r\n', 'OPTIONS * HTTP/1.1\r\n', 'DELETE /x HTTP/1.1\n', 'M-SEARCH * HTTP/1.1\r\n']) {
    t.equal(sniffProtocol(b(line)), 'http', JSON.stringify(line));
  }
});

t.test('other protocols are TCP at the first telling byte', async (t) => {
  t.equal(sniffProtocol(b([0x16, 0x03, 0x01, 0x02, 0x00])), 'tcp', 'TLS ClientHello');
  t.equal(sniffProtocol(b('*1\r\n$4\r\nPING\r\n')), 'tcp', 'Redis RESP');
  t.equal(sniffProtocol(b([0, 0, 0, 8, 4, 0xd2, 0x16, 0x2f])), 'tcp', 'PostgreSQL SSLRequest');
  t.equal(sniffProtocol(b('SSH-2.0-OpenSSH_9.2\r\n')), 'tcp', 'SSH');
  t.equal(sniffProtocol(b('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n')), 'tcp', 'HTTP/2 prior knowledge');
  t.equal(sniffProtocol(b('PING\r\n')), 'tcp', 'Redis inline PING: not a method');
  t.equal(sniffProtocol(b('GET key\r\n')), 'tcp', 'Redis inline GET: no HTTP version');
  t.equal(sniffProtocol(b('GET / HTTP/2\r\n')), 'tcp', 'not HTTP/1.x');
  t.equal(sniffProtocol(b('GET \x00\x01binary')), 'tcp', 'control bytes after a method');
  t.equal(sniffProtocol(b('get / HTTP/1.1\r\n')), 'tcp', 'methods are upper case');
  t.equal(sniffProtocol(b('ABCDEFGHIJKLMNOPQRSTUVWXYZ')), 'tcp', 'longer than any method');
});

t.test('a partial request line waits for more, and counts as HTTP once the wait is over', async (t) => {
  for (const part of ['G', 'GE', 'GET', 'GET ', 'GET /index.html HT', 'POST /x HTTP/1.1\r']) {
    t.equal(sniffProtocol(b(part)), 'more', `${JSON.stringify(part)}: more`);
    t.equal(sniffProtocol(b(part), true), 'http', `${JSON.stringify(part)}: http when final (slowloris goes to the HTTP timeouts)`);
  }
  t.equal(sniffProtocol(b('GET /' + 'a'.repeat(MAX_SNIFF_BYTES))), 'http', 'a very long line goes to the HTTP parser (414)');
});

t.test('nothing sent: wait, then TCP (server-first protocols)', async (t) => {
  t.equal(sniffProtocol(Buffer.alloc(0)), 'more');
  t.equal(sniffProtocol(Buffer.alloc(0), true), 'tcp');
});

t.test('port modes from app-protocol', async (t) => {
  t.equal(portModeOf(undefined), 'auto');
  t.equal(portModeOf('HTTP'), 'http');
  t.equal(portModeOf(' tcp '), 'tcp');
  t.equal(portModeOf('grpc'), 'auto');
});
