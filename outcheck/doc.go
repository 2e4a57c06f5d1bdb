// Package outcheck is the engine of the output check (出域核查): before a
// product leaves the platform it must pass these automatic checks and a human
// review, then be filed with the authority (R23.2). The engine takes a
// product (a set of tables produced inside the domain), a rule set the
// authority approved (R23.1) and an index of the domain's raw data, and
// answers a Report: each check with pass, warn or fail and its evidence as
// counts, never values (invariant 1: a report reaches merchants and reviewers,
// so it must not itself leak the data it protects).
//
// Checks:
//   - personal information (R28.5): citizen ID numbers, mobile numbers, bank
//     cards, credit codes, e-mail addresses and person names, whole or
//     embedded in longer text;
//   - raw-data overlap (R28.3, R24.1): no product row and no identifier value
//     equal to one in a raw table, public-source tables excepted (R4.3);
//   - disclosure (R28.3): k-anonymity and uniqueness over quasi-identifiers,
//     cell thresholds and dominance for aggregates;
//   - reversibility (R28.4): one-to-one keys, unkeyed hashes of raw
//     identifiers, rows that link uniquely to raw records, and numbers a tiny
//     perturbation away from the linked raw values.
//
// Fingerprint and Attribute mark delivered copies per recipient and trace a
// leaked copy back to its recipient (去向可查, R27.1).
package outcheck
