import { either as E } from 'fp-ts';
import { parseConfigText } from '../../lib/config/config-file';

/** The validation errors of §11.3 (and of the rxpaf extensions), one table row per rule. */
describe('parseConfigText errors', () => {
  const err = (text: string): string => {
    const r = parseConfigText(text);
    if (E.isRight(r)) throw new Error(`expected an error for:\n${text}`);
    return r.left;
  };
  const d = (body: string): string => `domains:\n  - ${body}`;
  it.each([
    ['root not a mapping', '- a', 'configuration root has invalid value type: expected dict, got list'],
    ['domains not a list', 'domains: ux:a', "parameter 'domains' has invalid value type: expected list, got str"],
    ['domain not a mapping', 'domains: [ux:a]', "parameter 'domains' has invalid value type: expected dict, got str"],
    ['missing sockets', d('name: x'), "required parameter 'domains.sockets' is missing"],
    [
      'sockets and addrs',
      d('{sockets: [ux:a], addrs: [ux:b]}'),
      "parameter 'domains.sockets' was used in combination with one of its aliases",
    ],
    [
      'idle.max and max_idle_time',
      d('{sockets: [ux:a], idle: {max: 9}, max_idle_time: 9}'),
      "parameter 'domains.idle.max' was used in combination with one of its aliases",
    ],
    [
      'sockets not a list',
      d('sockets: ux:a'),
      "parameter 'domains.sockets' has invalid value type: expected list, got str",
    ],
    [
      'name not a str',
      d('{name: 7, sockets: [ux:a]}'),
      "parameter 'domains.name' has invalid value type: expected str, got int",
    ],
    ['socket entry an int', d('sockets: [17]'), 'invalid domain address: 17'],
    ['socket entry a list', d('sockets: [[ux:a]]'), 'invalid domain address: ["ux:a"]'],
    ['socket entry null', d('sockets: [~]'), 'invalid domain address: None'],
    ['socket mapping without addr', d('sockets: [{tls: {}}]'), "required parameter 'domains.sockets.addr' is missing"],
    [
      'addr not a str',
      d('sockets: [{addr: 1.5}]'),
      "parameter 'domains.sockets.addr' has invalid value type: expected str, got float",
    ],
    [
      'tls on tcp',
      d('sockets: [{addr: "tcp:1.2.3.4:5", tls: {}}]'),
      "invalid domains.sockets.addr: 'tcp' (valid values: tls utls)",
    ],
    [
      'tls not a mapping',
      d('sockets: [{addr: "tls:1.2.3.4:5", tls: x}]'),
      "parameter 'domains.sockets.tls' has invalid value type: expected dict, got str",
    ],
    [
      'unknown tls key',
      d('sockets: [{addr: "utls:1.2.3.4:5", tls: {ca: x}}]'),
      "invalid domains.sockets.tls key: 'ca' (valid keys: cert key tc crl)",
    ],
    [
      'tls cert not a str',
      d('sockets: [{addr: "tls:1.2.3.4:5", tls: {cert: 1}}]'),
      "parameter 'domains.sockets.tls.cert' has invalid value type: expected str, got int",
    ],
    [
      'version min < 2',
      d('{sockets: [ux:a], protocol_version: {min: 1}}'),
      'invalid domains.protocol_version.min: 1 (lowest supported protocol version is 2)',
    ],
    [
      'version max > 3',
      d('{sockets: [ux:a], protocol_version: {max: 4}}'),
      'invalid domains.protocol_version.max: 4 (highest supported protocol version is 3)',
    ],
    [
      'version min > max',
      d('{sockets: [ux:a], protocol_version: {min: 3, max: 2}}'),
      'invalid domains.protocol_version: min (3) is greater than max (2)',
    ],
    [
      'version not an int',
      d('{sockets: [ux:a], protocol_version: {min: "2"}}'),
      "parameter 'domains.protocol_version.min' has invalid value type: expected int, got str",
    ],
    ['idle min < 1 (B10)', d('{sockets: [ux:a], idle: {min: 0}}'), 'invalid domains.idle.min: 0 (must be >= 1)'],
    [
      'idle min > max (B10)',
      d('{sockets: [ux:a], idle: {min: 5, max: 4}}'),
      'invalid domains.idle: min (5) is greater than max (4)',
    ],
    [
      'max_idle_time < default min',
      d('{sockets: [ux:a], max_idle_time: 3}'),
      'invalid domains.idle: min (4) is greater than max (3)',
    ],
    [
      'max_idle_time a float',
      d('{sockets: [ux:a], max_idle_time: 3.5}'),
      "parameter 'domains.max_idle_time' has invalid value type: expected int, got float",
    ],
    ['resources not a mapping', 'resources: 5', "parameter 'resources' has invalid value type: expected dict, got int"],
    [
      'resource class not a mapping',
      'resources: {total: [1]}',
      "parameter 'resources.total' has invalid value type: expected dict, got list",
    ],
    [
      'unknown resource type',
      'resources: {user: {connections: 1}}',
      "invalid resource type: 'connections' (valid types: clients services subscriptions)",
    ],
    ['negative resource', 'resources: {total: {clients: -1}}', 'invalid resources.total.clients: -1 (must be >= 0)'],
    [
      'resource a string',
      'resources: {total: {services: many}}',
      "parameter 'resources.total.services' has invalid value type: expected int, got str",
    ],
    ['log not a mapping', 'log: [1]', "parameter 'log' has invalid value type: expected dict, got list"],
    ['console an int', 'log: {console: 1}', "parameter 'log.console' has invalid value type: expected bool, got int"],
    [
      'backup not an int',
      'log: {log_file_backup: x}',
      "parameter 'log.log_file_backup' has invalid value type: expected int, got str",
    ],
    ['negative max size', 'log: {log_file_max_size: -5}', 'invalid log.log_file_max_size: -5 (must be >= 0)'],
    [
      'unknown filter',
      'log: {filter: verbose}',
      "invalid log.filter: 'verbose' (valid values: debug info warning error critical)",
    ],
    [
      'unknown facility',
      'log: {facility: local9}',
      expect.stringMatching(/^invalid log\.facility: 'local9' \(valid values: kern user .* local7\)$/),
    ],
    ['record without file', 'record: {outbound: true}', "required parameter 'record.file' is missing"],
    ['record max_bytes 0', 'record: {file: x, max_bytes: 0}', 'invalid record.max_bytes: 0 (must be >= 1)'],
    [
      'record outbound not bool',
      'record: {file: x, outbound: 1}',
      "parameter 'record.outbound' has invalid value type: expected bool, got int",
    ],
    ['YAML syntax error', 'domains: [', expect.stringMatching(/^YAML error: [^\n]+$/)],
    ['unknown YAML tag', 'log: !foo {}', expect.stringMatching(/^YAML error: Unresolved tag: !foo/)],
  ])('should reject %s', (_name, text, message) => {
    expect(err(text)).toEqual(message);
  });
});
