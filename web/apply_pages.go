package web

import (
	"net/http"
	"slices"
	"strconv"
	"strings"

	"shuyu"
)

// Applying from the catalog (issue 13): 申请使用 on an entry page puts the
// entry in the merchant's 申请清单 (cart) and shows the cart; the
// application form then offers the cart's entries with their fields by
// Chinese label. A visitor who is not logged in is sent to the login page
// and comes back to the cart with the entry in it.
//
// The cart is a cookie of entry ids bound to the user id (another account
// in the same browser starts with an empty cart). It holds no data and no
// right: whether an entry can be applied for is decided by the store when
// the application is submitted (published, not prohibited, mounted, not
// suspended), so a forged cookie changes nothing but the list shown.

const (
	cartCookie = "shuyu_cart"
	cartMax    = 30
)

func (s *Server) applyPages() {
	s.page("GET /cart", pageOpts{Action: shuyu.ActApplicationCreate}, s.uiCart)
	s.page("POST /cart/remove", pageOpts{Action: shuyu.ActApplicationCreate}, s.uiCartRemove)
}

// cartOf reads the actor's cart: the entry ids, in the order added.
func cartOf(r *http.Request, a *shuyu.Actor) []int64 {
	c, err := r.Cookie(cartCookie)
	if err != nil || a == nil {
		return nil
	}
	owner, list, ok := strings.Cut(c.Value, ":")
	if !ok || owner != strconv.FormatInt(a.UserID, 10) {
		return nil
	}
	var ids []int64
	for _, p := range strings.Split(list, ".") {
		if id, err := strconv.ParseInt(p, 10, 64); err == nil && id > 0 && !slices.Contains(ids, id) && len(ids) < cartMax {
			ids = append(ids, id)
		}
	}
	return ids
}

func (s *Server) setCart(w http.ResponseWriter, a *shuyu.Actor, ids []int64) {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = strconv.FormatInt(id, 10)
	}
	http.SetCookie(w, &http.Cookie{Name: cartCookie, Value: strconv.FormatInt(a.UserID, 10) + ":" + strings.Join(parts, "."),
		Path: "/", MaxAge: 30 * 24 * 3600, HttpOnly: true, Secure: s.cfg.Secure, SameSite: http.SameSiteLaxMode})
}

// uiCart shows the cart; ?add=<entry id> (the 申请使用 link of an entry
// page, which survives the login redirect) adds an entry first.
func (s *Server) uiCart(w http.ResponseWriter, r *http.Request) error {
	a := uiActor(r)
	ids := cartOf(r, a)
	if add := r.URL.Query().Get("add"); add != "" {
		id, err := strconv.ParseInt(add, 10, 64)
		if err != nil || id <= 0 {
			return shuyu.Errorf(shuyu.EINVALID, "目录编号无效 (bad entry id)")
		}
		es, err := s.db.ReviewApplicableEntries(r.Context(), id)
		if err != nil {
			return err
		}
		if len(es) == 0 {
			return shuyu.Errorf(shuyu.ENOTFOUND, "目录不存在、尚未发布或禁止开放 (no such applicable entry)")
		}
		if !slices.Contains(ids, id) {
			if len(ids) >= cartMax {
				return shuyu.Errorf(shuyu.EINVALID, "申请清单最多 %d 项 (the cart holds at most %d entries)", cartMax, cartMax)
			}
			ids = append(ids, id)
		}
		s.setCart(w, a, ids)
		return s.redirectFlash(w, r, "/cart", "ok", Tf(uiLang(r), "apply.cart.added", es[0].Name))
	}
	d := reviewPageData{}
	if len(ids) > 0 {
		es, err := s.db.ReviewApplicableEntries(r.Context(), ids...)
		if err != nil {
			return err
		}
		d.Entries = es
	}
	return s.render(w, r, "review/cart.html", d)
}

func (s *Server) uiCartRemove(w http.ResponseWriter, r *http.Request) error {
	f, err := newForm(r)
	if err != nil {
		return err
	}
	a := uiActor(r)
	id, _ := strconv.ParseInt(f.Get("entry"), 10, 64)
	ids := slices.DeleteFunc(cartOf(r, a), func(x int64) bool { return x == id || f.Get("all") != "" })
	s.setCart(w, a, ids)
	return s.redirectFlash(w, r, "/cart", "ok", T(uiLang(r), "apply.cart.removed"))
}
