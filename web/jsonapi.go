package web

import (
	"context"
	"net/http"

	"shuyu"
)

// Most object endpoints have one shape: authenticate, parse {id}, decode a
// strict JSON body, call the store (which asks the policy), answer. These
// adapters write that shape once so a handler is only its store call.

// onObject answers GET /…/{id}: fn's result as JSON.
func onObject(s *Server, fn func(ctx context.Context, a *shuyu.Actor, id int64) (any, error)) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		a, err := s.actor(r)
		if err != nil {
			return err
		}
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		out, err := fn(r.Context(), a, id)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, out)
		return nil
	}
}

// commandOnObject answers a state change on object {id} with a JSON body of
// type In: 204 when fn returns nil, else its result as JSON.
func commandOnObject[In any](s *Server, fn func(ctx context.Context, a *shuyu.Actor, id int64, in In) (any, error)) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		a, err := s.actor(r)
		if err != nil {
			return err
		}
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		var in In
		if err := decode(r, &in); err != nil {
			return err
		}
		out, err := fn(r.Context(), a, id, in)
		if err != nil {
			return err
		}
		if out == nil {
			w.WriteHeader(http.StatusNoContent)
			return nil
		}
		writeJSON(w, http.StatusOK, out)
		return nil
	}
}
