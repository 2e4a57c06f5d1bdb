package sqlstore

import (
	"context"

	"shuyu"
)

// ActingActorUnrecorded is ActFor without the record of the request: the
// benchmark's baseline for what recording adds (never used outside tests).
func ActingActorUnrecorded(ctx context.Context, d *DB, actor *shuyu.Actor, id int64) (*shuyu.Actor, error) {
	return d.actingActor(ctx, actor, id)
}
