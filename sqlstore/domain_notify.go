package sqlstore

import (
	"fmt"

	"shuyu"
)

// domainNotice is one message to organizations about the domain: a
// suspension or resumption (R27.3), a quality issue routed to a department
// (R11.1), an answer to the party that raised it.
type domainNotice struct {
	Orgs    []int64 // recipient organizations
	Kind    string  // e.g. "domain.suspended"
	Subject string  // Chinese first
	Object  string  // object type
	ID      any     // object id
	Link    string  // page path
}

// domainNotify puts the notice in each recipient organization's inbox, in
// the same transaction as the change that causes it (the caller audits the
// change).
func (tx *Tx) domainNotify(n domainNotice) error {
	return tx.notifyOrgs(n.Orgs, Notice{Kind: n.Kind, Title: n.Subject, ObjectType: n.Object,
		ObjectID: fmt.Sprint(n.ID), Link: n.Link})
}

// domainOrgsOfKind lists active organizations of the kinds (operator,
// authority) that a notice goes to.
func (tx *Tx) domainOrgsOfKind(kinds ...string) ([]int64, error) {
	var out []int64
	for _, k := range kinds {
		ids, err := tx.orgsOfKind(shuyu.OrgKind(k))
		if err != nil {
			return nil, err
		}
		out = append(out, ids...)
	}
	return out, nil
}
