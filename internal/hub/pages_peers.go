package hub

import (
	"net/http"
	"strconv"
	"strings"
)

var peersPage = newHubPage("peers.html")

type peersData struct {
	Instance  string
	Peers     []Peer
	Peering   Peering
	CanManage bool
}

func (s *Store) peersData(r *http.Request) (peersData, error) {
	if err := s.canView(r); err != nil {
		return peersData{}, err
	}
	d := peersData{Instance: s.opt.Instance}
	if owner, err := s.ownerUnit(r.Context()); err == nil {
		d.CanManage = s.can(r, ManageHub, owner)
	}
	var err error
	if d.Peers, err = s.Peers(r.Context()); err != nil {
		return d, err
	}
	d.Peering, err = s.Peering(r.Context())
	return d, err
}

// peersShow is /hub/peers: the peer hubs, this hub's own peering
// details, and for the hub's managers the form registering a peer.
func (s *Store) peersShow(w http.ResponseWriter, r *http.Request) error {
	d, err := s.peersData(r)
	if err != nil {
		return err
	}
	return peersPage.Render(w, r, d)
}

func (s *Store) peerCreate(w http.ResponseWriter, r *http.Request) error {
	owner, err := s.ownerUnit(r.Context())
	if err != nil {
		return err
	}
	if err := s.authorize(r, ManageHub, owner); err != nil {
		return err
	}
	in := PeerInput{Instance: r.PostFormValue("xroadInstance"), Name: r.PostFormValue("name"), Address: r.PostFormValue("address"),
		CAPEM: r.PostFormValue("caCertificates"), TimeoutMS: formInt(r, "timeoutMs")}
	_, err = s.CreatePeer(r.Context(), in, ActorOf(r))
	return done(w, r, err, "/hub/peers", "hub_saved", func() error {
		d, derr := s.peersData(r)
		if derr != nil {
			return derr
		}
		return peersPage.FormError(w, r, err, d)
	})
}

func (s *Store) peerEnable(w http.ResponseWriter, r *http.Request) error {
	owner, err := s.ownerUnit(r.Context())
	if err != nil {
		return err
	}
	if err := s.authorize(r, ManageHub, owner); err != nil {
		return err
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return err
	}
	on := strings.TrimSpace(r.PostFormValue("enabled")) == "true"
	_, err = s.EditPeer(r.Context(), id, PeerInput{Enabled: &on}, ActorOf(r))
	return done(w, r, err, "/hub/peers", "hub_saved", func() error { return err })
}
