package sqlstore_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"shuyu"
	"shuyu/demo"
	"shuyu/sqlstore"
	"shuyu/sqlstore/sqltest"
)

// The cached portal figures equal fresh ones, follow every change at once
// (a new merchant organization, a new month) and cannot be altered
// through a returned copy.
func TestPortal_R10_2_StatsCacheFollowsChanges(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, env *sqltest.Env) {
		ctx := context.Background()
		db := env.DB
		same := func(when string) *sqlstore.PortalStats {
			t.Helper()
			got, err := db.PortalStats(ctx)
			if err != nil {
				t.Fatal(err)
			}
			want, err := sqlstore.PortalStatsFresh(ctx, db)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("%s: cached %+v, fresh %+v", when, got, want)
			}
			return got
		}
		first := same("first read")
		first.Merchants = -1
		first.Months[0].Count = -1
		again := same("second read (a caller changed its copy)")
		org := &shuyu.Org{Kind: shuyu.OrgMerchant, Name: "中卫缓存检验数据有限公司", Region: "640502"}
		if err := db.CreateOrg(ctx, env.Actors["secadmin"], org); err != nil {
			t.Fatal(err)
		}
		if after := same("after a new merchant"); after.Merchants != again.Merchants+1 {
			t.Fatalf("merchants %d → %d", again.Merchants, after.Merchants)
		}
		env.Clock.Advance(40 * 24 * time.Hour)
		if after := same("a month later"); after.Months[11].Key == again.Months[11].Key {
			t.Fatalf("months did not move: %s", after.Months[11].Key)
		}
	})
}

// BenchmarkPortalStats: the cached figures against computing them (the
// baseline, measured in the same run). docs/performance.md.
func BenchmarkPortalStats(b *testing.B) {
	db, _ := sqltest.Open(b, "sqlite")
	ctx := context.Background()
	// The demo city: 50-odd published entries, applications, products.
	if _, err := demo.Seed(ctx, db, sqltest.Password); err != nil {
		b.Fatal(err)
	}
	if err := demo.Applications(ctx, db); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for _, c := range []struct {
		name string
		f    func(context.Context, *sqlstore.DB) (*sqlstore.PortalStats, error)
	}{{"fresh", sqlstore.PortalStatsFresh}, {"cached", func(ctx context.Context, d *sqlstore.DB) (*sqlstore.PortalStats, error) { return d.PortalStats(ctx) }}} {
		b.Run(c.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if _, err := c.f(ctx, db); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
