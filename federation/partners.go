package federation

import (
	"context"
	"sync"
	"time"

	"github.com/cairn-lrs/cairn/capture"
)

// Partners manages partner settings, sealing their credentials. Safe for concurrent use.
type Partners struct {
	store  Store
	sealer *Sealer
	now    func() time.Time

	origins originCache
}

// NewPartners returns the partner service over store. sealer may be nil when no partner
// key is configured: then partners can be listed and removed, but not added or used.
func NewPartners(store Store, sealer *Sealer, now func() time.Time) *Partners {
	if now == nil {
		now = time.Now
	}
	return &Partners{store: store, sealer: sealer, now: now}
}

// Store returns the store the service keeps partners in.
func (s *Partners) Store() Store { return s.store }

func (s *Partners) needKey() error {
	if s.sealer == nil {
		return capture.Errorf(capture.CodeInvalid, "no partner key configured: set --partner-key or CAIRN_PARTNER_KEY (or CAIRN_PARTNER_KEY_FILE), at least %d characters", MinKeyLength)
	}
	return nil
}

// Add validates and stores a new partner; CodeInvalid for bad settings or without a
// partner key, CodeConflict when the name exists.
func (s *Partners) Add(ctx context.Context, p Partner) (Partner, error) {
	if err := s.needKey(); err != nil {
		return p, err
	}
	p, err := p.Normalize()
	if err != nil {
		return p, err
	}
	p.Created = s.now().UTC()
	p.Updated = p.Created
	sealed, err := s.sealer.Seal(p.Name, p.Auth)
	if err != nil {
		return p, err
	}
	rec := PartnerRecord{Partner: p, SealedAuth: sealed}
	rec.Partner.Auth = Auth{}
	if err := s.store.CreatePartner(ctx, rec); err != nil {
		return p, err
	}
	return p, nil
}

// Get returns the named partner with its credentials opened; CodeNotFound when absent.
func (s *Partners) Get(ctx context.Context, name string) (Partner, error) {
	r, err := s.store.Partner(ctx, name)
	if err != nil {
		return Partner{}, err
	}
	return s.open(r)
}

func (s *Partners) open(r PartnerRecord) (Partner, error) {
	if err := s.needKey(); err != nil {
		return r.Partner, err
	}
	a, err := s.sealer.Open(r.Partner.Name, r.SealedAuth)
	if err != nil {
		return r.Partner, err
	}
	p := r.Partner
	p.Auth = a
	return p, nil
}

// List returns every partner by name, without credentials.
func (s *Partners) List(ctx context.Context) ([]Partner, error) {
	recs, err := s.store.Partners(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Partner, len(recs))
	for i, r := range recs {
		out[i] = r.Partner
	}
	return out, nil
}

// Update applies change to the named partner (credentials opened) and stores the
// result; CodeNotFound when absent, CodeInvalid when the result is not valid. The name
// cannot change.
func (s *Partners) Update(ctx context.Context, name string, change func(*Partner)) (Partner, error) {
	p, err := s.Get(ctx, name)
	if err != nil {
		return p, err
	}
	change(&p)
	p.Name = name
	if p, err = p.Normalize(); err != nil {
		return p, err
	}
	p.Updated = s.now().UTC()
	sealed, err := s.sealer.Seal(p.Name, p.Auth)
	if err != nil {
		return p, err
	}
	rec := PartnerRecord{Partner: p, SealedAuth: sealed}
	rec.Partner.Auth = Auth{}
	return p, s.store.PutPartner(ctx, rec)
}

// SetPaused pauses or resumes the named partner; a repeat call changes nothing but the
// update time. CodeNotFound when absent.
func (s *Partners) SetPaused(ctx context.Context, name string, paused bool) (Partner, error) {
	return s.Update(ctx, name, func(p *Partner) { p.Paused = paused })
}

// Remove deletes the partner, its cursors and dead letters; CodeNotFound when absent.
func (s *Partners) Remove(ctx context.Context, name string) error {
	return s.store.DeletePartner(ctx, name)
}

// originCacheTTL is how long OriginOf reuses the inbound-key map it read.
const originCacheTTL = 2 * time.Second

type originCache struct {
	mu    sync.Mutex
	read  time.Time
	byKey map[string]string
}

// OriginOf returns the name of the partner whose InboundKey is credentialKey, "" when
// none (the loop rule, see the package comment). The map is re-read at most every
// originCacheTTL, so a new binding takes effect within that time.
func (s *Partners) OriginOf(ctx context.Context, credentialKey string) (string, error) {
	s.origins.mu.Lock()
	defer s.origins.mu.Unlock()
	now := s.now()
	if s.origins.byKey == nil || now.Sub(s.origins.read) > originCacheTTL || now.Before(s.origins.read) {
		recs, err := s.store.Partners(ctx)
		if err != nil {
			return "", err
		}
		m := map[string]string{}
		for _, r := range recs {
			if r.Partner.InboundKey != "" {
				m[r.Partner.InboundKey] = r.Partner.Name
			}
		}
		s.origins.byKey, s.origins.read = m, now
	}
	return s.origins.byKey[credentialKey], nil
}
