/**
 * Where berth's events and requests travel on NATS. Events are
 * `<prefix>.<host>.<containerId>.<action>`, exactly four tokens, so one
 * stream listens on `<prefix>.*.*.*`. The NATS control API lives on
 * five-token subjects (`<prefix>.<host>.api.v1.<verb>`) that the stream never
 * captures: a captured request would be stored as if it were an event and
 * answered by JetStream with a publish acknowledgement.
 *
 * Plain names with no NATS library behind them, so that the publisher (the
 * relay), the daemon's request/reply API and the client agree on one
 * definition, and a client can name a subject without loading NATS.
 */

/** The stream subject that holds every host's events. */
export const eventSubjects = (prefix: string) => `${prefix}.*.*.*`;

/** The request subject of one verb of the NATS control API on one host (five tokens: see above). */
export const apiSubject = (prefix: string, host: string, verb: string) =>
  `${prefix}.${host}.api.v1.${verb}`;

/** The subject that holds one host's events. */
export const hostSubjects = (prefix: string, host: string) => `${prefix}.${host}.*.*`;
