package web

import (
	"context"
	"net/http"
	"net/url"
	"reflect"

	"shuyu"
)

// Most JSON endpoints have one shape: learn the caller, parse {id}, decode a
// strict JSON body, call the store or a capability's service (which asks
// the policy), answer. These adapters write that shape once so a handler is
// only its call:
//
//	s.handle("GET", "/api/v1/things", onCollection(s.actor, s.db.Things))
//	s.handle("POST", "/api/v1/things", create(s.actor, s.db.CreateThing))
//	s.handle("GET", "/api/v1/things/{id}", onObject(s.actor, s.db.Thing))
//	s.handle("POST", "/api/v1/things/{id}/close", commandOnObject(s.actor, func(ctx context.Context,
//		a *shuyu.Actor, id int64, in reasonBody) (*noContent, error) { return nil, s.db.CloseThing(ctx, a, id, in.Reason) }))
//
// Statuses: 200 with the result; 201 for create and createOnObject; 204
// when a command returns no result (nil). Store methods never return a nil
// pointer without an error, so a command that answers an object always
// answers it. Errors go through adapt (web/server.go)
// and statusOf (web/errors.go) like every other handler's.

// actorOf is how an endpoint learns its caller: s.actor (signed in, else
// 401), s.optionalActor (public, but credentials sent are checked and
// used) or nobody (public, credentials ignored).
type actorOf func(r *http.Request) (*shuyu.Actor, error)

// nobody is the caller of a public endpoint that ignores credentials.
func nobody(*http.Request) (*shuyu.Actor, error) { return nil, nil }

// optionalActor: public reads work anonymously, but a caller who sends
// credentials gets them checked (and sees what its role allows).
func (s *Server) optionalActor(r *http.Request) (*shuyu.Actor, error) {
	if tok, _ := bearer(r); tok == "" {
		return nil, nil
	}
	return s.actor(r)
}

// allowedTo is s.actor followed by a check of an action on a collection:
// a caller who may not act at all is refused before its body or the rest
// of its path is read (the refusal says nothing about either).
func (s *Server) allowedTo(act shuyu.Action, res shuyu.Resource) actorOf {
	return func(r *http.Request) (*shuyu.Actor, error) {
		a, err := s.actor(r)
		if err != nil {
			return nil, err
		}
		if err := shuyu.Authorize(a, act, res); err != nil {
			return nil, err
		}
		return a, nil
	}
}

// noBody is the input of a command that reads no body (whatever is sent is
// ignored, as a handler that never decodes ignores it).
type noBody struct{}

// bodyMayBeEmpty, embedded in an input struct, lets the body be absent
// (Content-Length 0): the input is then its zero value.
type bodyMayBeEmpty struct{}

func (bodyMayBeEmpty) emptyBodyOK() {}

// decodeInput reads a command's input: nothing for noBody, the optional
// body for inputs embedding bodyMayBeEmpty, else a required strict body.
func decodeInput[In any](r *http.Request) (In, error) {
	var in In
	switch any(&in).(type) {
	case *noBody:
		return in, nil
	case interface{ emptyBodyOK() }:
		return in, decodeOptional(r, &in)
	}
	return in, decode(r, &in)
}

// decodeOptional decodes a JSON body when there is one.
func decodeOptional(r *http.Request, v any) error {
	if r.ContentLength == 0 {
		return nil
	}
	return decode(r, v)
}

// objectCall learns the caller and the {id} of an object endpoint.
func objectCall(who actorOf, r *http.Request) (*shuyu.Actor, int64, error) {
	a, err := who(r)
	if err != nil {
		return nil, 0, err
	}
	id, err := pathID(r, "id")
	return a, id, err
}

// answer writes out with status, or 204 when there is no result (nil, or
// a nil pointer). A nil slice is a result: it is written as JSON.
func answer(w http.ResponseWriter, status int, out any) error {
	if noResult(out) {
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	writeJSON(w, status, out)
	return nil
}

func noResult(v any) bool {
	if v == nil {
		return true
	}
	rv := reflect.ValueOf(v)
	return rv.Kind() == reflect.Pointer && rv.IsNil()
}

// onObject answers GET /…/{id}: fn's result as JSON.
func onObject[Out any](who actorOf, fn func(ctx context.Context, a *shuyu.Actor, id int64) (Out, error)) endpoint {
	return onObjectPart(who, "", func(ctx context.Context, a *shuyu.Actor, id int64, _ string, _ url.Values) (Out, error) {
		return fn(ctx, a, id)
	})
}

// onObjectList answers GET /…/{id}/things: fn's items as {"items","total"}.
func onObjectList[T any](who actorOf, fn func(ctx context.Context, a *shuyu.Actor, id int64) ([]T, error)) endpoint {
	return onObjectCollection(who, func(ctx context.Context, a *shuyu.Actor, id int64, _ url.Values) ([]T, error) {
		return fn(ctx, a, id)
	})
}

// onObjectCollection answers GET /…/{id}/things with filters or a limit in
// the query: fn's items as {"items","total"}.
func onObjectCollection[T any](who actorOf, fn func(ctx context.Context, a *shuyu.Actor, id int64, q url.Values) ([]T, error)) endpoint {
	return onObjectPart(who, "", func(ctx context.Context, a *shuyu.Actor, id int64, _ string, q url.Values) (list[T], error) {
		items, err := fn(ctx, a, id, q)
		if err != nil {
			return list[T]{}, err
		}
		return listOf(items), nil
	})
}

// onObjectPart answers GET /…/{id}/things/{name}: fn gets the raw path
// value {name} (it checks it; "" names none) and the query, and its result
// is written as JSON.
func onObjectPart[Out any](who actorOf, name string, fn func(ctx context.Context, a *shuyu.Actor, id int64, part string, q url.Values) (Out, error)) endpoint {
	return jsonRoute[noBody, Out](http.StatusOK, func(w http.ResponseWriter, r *http.Request) error {
		a, id, err := objectCall(who, r)
		if err != nil {
			return err
		}
		part := ""
		if name != "" {
			part = r.PathValue(name)
		}
		out, err := fn(r.Context(), a, id, part, r.URL.Query())
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, out)
		return nil
	})
}

// onCollection answers GET /…/things: fn's items as {"items","total"}; fn
// reads its filters from the query.
func onCollection[T any](who actorOf, fn func(ctx context.Context, a *shuyu.Actor, q url.Values) ([]T, error)) endpoint {
	return onQuery(who, func(ctx context.Context, a *shuyu.Actor, q url.Values) (list[T], error) {
		items, err := fn(ctx, a, q)
		if err != nil {
			return list[T]{}, err
		}
		return listOf(items), nil
	})
}

// onQuery answers a GET without {id} whose answer is not a list: fn's
// result as JSON.
func onQuery[Out any](who actorOf, fn func(ctx context.Context, a *shuyu.Actor, q url.Values) (Out, error)) endpoint {
	return jsonRoute[noBody, Out](http.StatusOK, func(w http.ResponseWriter, r *http.Request) error {
		a, err := who(r)
		if err != nil {
			return err
		}
		out, err := fn(r.Context(), a, r.URL.Query())
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, out)
		return nil
	})
}

// commandOnObject answers a state change on object {id} with an input of
// type In (see decodeInput): 204 when fn returns no result, else its
// result as JSON (200).
func commandOnObject[In, Out any](who actorOf, fn func(ctx context.Context, a *shuyu.Actor, id int64, in In) (Out, error)) endpoint {
	return objectInput(who, http.StatusOK, fn)
}

// createOnObject answers POST /…/{id}/things: 201 with what fn created.
func createOnObject[In, Out any](who actorOf, fn func(ctx context.Context, a *shuyu.Actor, id int64, in In) (Out, error)) endpoint {
	return objectInput(who, http.StatusCreated, fn)
}

func objectInput[In, Out any](who actorOf, status int, fn func(ctx context.Context, a *shuyu.Actor, id int64, in In) (Out, error)) endpoint {
	return jsonRoute[In, Out](status, func(w http.ResponseWriter, r *http.Request) error {
		a, id, err := objectCall(who, r)
		if err != nil {
			return err
		}
		in, err := decodeInput[In](r)
		if err != nil {
			return err
		}
		out, err := fn(r.Context(), a, id, in)
		if err != nil {
			return err
		}
		return answer(w, status, out)
	})
}

// create answers POST /…/things with an input of type In: 201 with what fn
// created.
func create[In, Out any](who actorOf, fn func(ctx context.Context, a *shuyu.Actor, in In) (Out, error)) endpoint {
	return command(who, http.StatusCreated, fn)
}

// command answers a state change without {id}: status with fn's result, or
// 204 when there is none.
func command[In, Out any](who actorOf, status int, fn func(ctx context.Context, a *shuyu.Actor, in In) (Out, error)) endpoint {
	return jsonRoute[In, Out](status, commandFunc(who, status, fn))
}

func commandFunc[In, Out any](who actorOf, status int, fn func(ctx context.Context, a *shuyu.Actor, in In) (Out, error)) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		a, err := who(r)
		if err != nil {
			return err
		}
		in, err := decodeInput[In](r)
		if err != nil {
			return err
		}
		out, err := fn(r.Context(), a, in)
		if err != nil {
			return err
		}
		return answer(w, status, out)
	}
}

// commandOnKey answers a state change on an object named by a string path
// value {name} (a token, not an id) with an input of type In: the caller,
// then the input, then fn with the raw key. fn checks the key itself, after
// its own authorization, so that a refused caller learns nothing from it.
// 200 with fn's result, or 204 when there is none.
func commandOnKey[In, Out any](who actorOf, name string, fn func(ctx context.Context, a *shuyu.Actor, key string, in In) (Out, error)) endpoint {
	return jsonRoute[In, Out](http.StatusOK, func(w http.ResponseWriter, r *http.Request) error {
		key := r.PathValue(name)
		return commandFunc(who, http.StatusOK, func(ctx context.Context, a *shuyu.Actor, in In) (Out, error) {
			return fn(ctx, a, key, in)
		})(w, r)
	})
}

// endpoint is an API route's handler and the bodies it reads and answers,
// from which the OpenAPI document's bodies are generated (openapi_schema.go,
// TestOpenAPI_SchemasGolden). s.handle takes only endpoints, so an API route
// cannot be registered without its bodies being known: the adapters above
// record their In and Out types; a hand-written handler declares its own
// next to its route with jsonRoute, upload or download.
type endpoint struct {
	h          handlerFunc
	in         reflect.Type // the JSON body read; nil when none is
	inOptional bool         // the body may be absent (bodyMayBeEmpty)
	inForm     bool         // a multipart/form-data body (its parts are described in the fragment)
	replies    []reply      // the success answers
}

// reply is one success answer: a JSON body of type out, a file in one of
// media, or nothing (204).
type reply struct {
	status int
	out    reflect.Type
	as     string // out's media type when not application/json
	media  []string
}

// noContent is the result of a command that answers nothing (204):
// func(…) (*noContent, error) { return nil, s.db.Do(…) }.
type noContent struct{}

// jsonRoute is a handler reading a JSON body of type In (noBody: none;
// embedding bodyMayBeEmpty: optional) and answering status with a JSON
// body of type Out (*noContent: nothing, and the status is 204).
func jsonRoute[In, Out any](status int, h handlerFunc) endpoint {
	e := endpoint{h: h}
	in := reflect.TypeFor[In]()
	switch {
	case in == reflect.TypeFor[noBody]():
	case reflect.PointerTo(in).Implements(reflect.TypeFor[interface{ emptyBodyOK() }]()):
		e.in, e.inOptional = in, true
	default:
		e.in = in
	}
	out := reflect.TypeFor[Out]()
	switch {
	case out.Kind() == reflect.Pointer && out.Elem().Kind() == reflect.Struct && out.Elem().NumField() == 0:
		// *noContent (or *struct{}): always nil, nothing to answer.
		e.replies = []reply{{status: http.StatusNoContent}}
	case out.Kind() == reflect.Interface:
		// An interface says nothing of the body: the document could not
		// describe it. Name the type (or *noContent when there is none).
		panic("web: an endpoint's result must be a concrete type, not " + out.String())
	default:
		e.replies = []reply{{status: status, out: out}}
	}
	return e
}

// upload is a handler reading a multipart/form-data body and answering
// status with a JSON body of type Out.
func upload[Out any](status int, h handlerFunc) endpoint {
	e := jsonRoute[noBody, Out](status, h)
	e.inForm = true
	return e
}

// download is a handler answering a file of one of the media types (200).
func download(h handlerFunc, media ...string) endpoint {
	return endpoint{h: h, replies: []reply{{status: http.StatusOK, media: media}}}
}

// as names the media type of the JSON body (application/ld+json…).
func (e endpoint) as(media string) endpoint {
	e.replies = append([]reply(nil), e.replies...)
	e.replies[0].as = media
	return e
}

// orFile adds file media types the first answer may be sent as instead
// (the client chooses with Accept or a query parameter).
func (e endpoint) orFile(media ...string) endpoint {
	e.replies = append([]reply(nil), e.replies...)
	e.replies[0].media = append(e.replies[0].media[:len(e.replies[0].media):len(e.replies[0].media)], media...)
	return e
}

// alsoAnswers adds another success status answering a JSON body of type Out.
func alsoAnswers[Out any](e endpoint, status int) endpoint {
	e.replies = append(e.replies[:len(e.replies):len(e.replies)], reply{status: status, out: reflect.TypeFor[Out]()})
	return e
}

// or adds another success status answering the same body as the first.
func (e endpoint) or(status int) endpoint {
	r := e.replies[0]
	r.status = status
	e.replies = append(e.replies[:len(e.replies):len(e.replies)], r)
	return e
}
