package web

import (
	"context"

	"shuyu"
	"shuyu/dataservice"
)

// verifier is the configured identity service, the demo's outbox in demo
// mode, or one that refuses (no codes can be sent without a real service).
func (s *Server) verifier() dataservice.Verifier {
	if s.cfg.Verifier != nil {
		if d, ok := s.cfg.Verifier.(*dataservice.DemoVerifier); ok {
			s.outbox = d
		}
		return s.cfg.Verifier
	}
	if s.cfg.Demo {
		s.outbox = &dataservice.DemoVerifier{Now: s.cfg.Now}
		return s.outbox
	}
	return noVerifier{}
}

// noVerifier refuses: a platform without an identity service cannot take
// consents.
type noVerifier struct{}

func (noVerifier) Check(context.Context, dataservice.Subject) error {
	return shuyu.Errorf(shuyu.EUNAVAILABLE, "未配置身份核验服务，暂不能办理授权 (no identity service configured)")
}

func (noVerifier) Deliver(context.Context, dataservice.Subject, string, string) error {
	return shuyu.Errorf(shuyu.EUNAVAILABLE, "未配置身份核验服务，暂不能办理授权 (no identity service configured)")
}

func (s *Server) servicesPages() {}

// DemoVerifier is the demo's outbox verifier (nil outside demo mode): the
// demo seeding delivers its consent codes and announces its keys there.
func (s *Server) DemoVerifier() *dataservice.DemoVerifier { return s.outbox }
