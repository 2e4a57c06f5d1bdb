package workspace

import (
	"fmt"

	"shuyu/keys"
)

// The platform's noise key (docs/disclosure.md, "Sticky noise"): every
// noise draw and noisy threshold of the disclosure-control engine derives
// from it, so one figure over one set of people has one noisy value across
// all workspaces and merchants. It is the key ring's Noise key (package
// keys, the key directory), never in the database; servers sharing a store
// must share it like the audit signing key. It is never rotated
// (keys.Kind.Rotatable).

// useNoiseKey loads (or creates) the noise key once and gives it to the
// engine. Without a data directory (tests) the engine keeps per-workspace
// keys.
func (s *Service) useNoiseKey() error {
	s.noiseOnce.Do(func() {
		if !s.sharedNoise {
			return
		}
		key, err := s.DB.Keys().Current(keys.Noise)
		if err != nil {
			s.noiseErr = fmt.Errorf("workspace: noise key: %w", err)
			return
		}
		s.Engine.NoiseKey = key.Material
	})
	return s.noiseErr
}
