package dti

import "github.com/tinhso/tinhso/internal/web"

func (s *Store) pageRoutes(site *web.Site) {}
