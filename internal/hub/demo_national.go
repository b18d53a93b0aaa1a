package hub

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/tinhso/tinhso/internal/errs"
	"github.com/tinhso/tinhso/internal/org"
	"github.com/tinhso/tinhso/internal/password"
	"github.com/tinhso/tinhso/internal/store"
)

// The national demo hub (issue 9 part 8): beside the province's hub,
// `tinhso demo` runs a second hub standing for the national platform
// (NDXP), instance VN, on a database of its own (a temporary SQLite file,
// gone when the demo ends) with a gateway of its own on loopback, serving
// two national services from demo backends — the population database's
// citizen check and the national business registry — with sample data
// marked as such. The two hubs are federated both ways: the province's
// one-stop system may call the national services (granted on the national
// hub), the government's reporting system (VN/GOV/VPCP/BAOCAO) the
// province's reporting service (granted on the province's hub), and the
// demo's traffic calls both ways.

// NationalInstance is the national demo hub's instance identifier.
const NationalInstance = "VN"

// demoDataNote marks every answer of a national demo backend.
const demoDataNote = "Dữ liệu mẫu phục vụ trình diễn, không phải dữ liệu thật (demo data)"

func nationalServices() []demoService {
	return []demoService{
		{"BCA", "GOV", "Bộ Công an", NationalInstance, "DANCU", "Cơ sở dữ liệu quốc gia về dân cư", "xacthuc", "Cơ sở dữ liệu quốc gia về dân cư — xác thực thông tin công dân", "/citizens/{soDinhDanh}", "soDinhDanh", "001090012345",
			func(a string) any {
				return map[string]any{"soDinhDanh": a, "hoTen": "Nguyễn Văn An", "ngaySinh": "1990-05-12", "gioiTinh": "Nam", "queQuan": "Xã Bình Lư, tỉnh Lai Châu",
					"noiThuongTru": "Phường Tân Phong, tỉnh Lai Châu", "ketQuaXacThuc": "Thông tin khớp với Cơ sở dữ liệu quốc gia về dân cư", "mucDoXacThuc": 2, "duLieuMau": demoDataNote}
			}},
		{"BTC", "GOV", "Bộ Tài chính", NationalInstance, "DKDNQG", "Hệ thống thông tin quốc gia về đăng ký doanh nghiệp", "doanhnghiep", "Tra cứu thông tin doanh nghiệp quốc gia", "/enterprises/{maSoDN}", "maSoDN", "6200123456",
			func(a string) any {
				return map[string]any{"maSoDoanhNghiep": a, "tenDoanhNghiep": "CÔNG TY TNHH CHÈ TAM ĐƯỜNG", "tenTiengAnh": "TAM DUONG TEA COMPANY LIMITED", "loaiHinh": "Công ty trách nhiệm hữu hạn hai thành viên trở lên",
					"tinhTrang": "Đang hoạt động", "ngayThanhLap": "2019-03-04", "nguoiDaiDien": "Lò Văn Minh", "diaChiTruSo": "Xã Bình Lư, tỉnh Lai Châu",
					"nganhNgheChinh": "Trồng cây chè (0127)", "vonDieuLe": 5000000000, "duLieuMau": demoDataNote}
			}},
	}
}

// The national platform's demo consumer: the government's reporting
// system, which reads the province's reports through federation.
const (
	nationalConsumerMember = "VPCP"
	nationalConsumer       = "BAOCAO"
)

// National is the national demo hub as the demo printed it.
type National struct {
	Gateway     string   // its consumers' gateway, https:// (a server certificate of its CA)
	PeerGateway string   // its listener for peer hubs, https://
	Services    []string // /r1/ paths of its services, called on the province's gateway
	Client      string   // its consumer's X-Road-Client
	// HTTP calls the national gateway as its consumer: with the consumer's
	// TLS client certificate (a hub without a token provider takes
	// certificates only), trusting the national CA.
	HTTP  *http.Client
	Calls string // the province's service the national consumer calls, /r1/ path
	// Done is closed once the national hub has stopped (ctx ended) and its
	// temporary database is removed.
	Done <-chan struct{}
}

// startNational runs the national demo hub until ctx ends and federates it
// with this (the province's) hub, whose gateway is g.
func (s *Store) startNational(ctx context.Context, g *Gateway, d *Demo, provinceReports int64) error {
	dir, err := os.MkdirTemp("", "tinhso-national-")
	if err != nil {
		return err
	}
	db, err := store.Open(ctx, "sqlite:"+filepath.Join(dir, "ndxp.db"))
	if err != nil {
		os.RemoveAll(dir)
		return err
	}
	closeAll := func() { db.Close(); os.RemoveAll(dir) }
	if _, err := db.Migrate(ctx); err != nil {
		closeAll()
		return err
	}
	orgs := org.NewStore(db, password.Cheap())
	if _, err := orgs.CreateUnit(ctx, org.UnitInput{Code: NationalInstance, Name: "Nền tảng tích hợp, chia sẻ dữ liệu quốc gia (demo)", Kind: "nation"}, 0); err != nil {
		closeAll()
		return fmt.Errorf("national demo unit: %w", err)
	}
	n := NewStore(db, orgs, Options{Instance: NationalInstance})
	if err := n.EnsureKeys(ctx); err != nil {
		closeAll()
		return err
	}
	srv, err := n.Authority().IssueServer(ctx, []string{"127.0.0.1"}, 0)
	if err != nil {
		closeAll()
		return err
	}
	cert, err := tls.X509KeyPair([]byte(srv.CertPEM+srv.CAPEM), []byte(srv.KeyPEM))
	if err != nil {
		closeAll()
		return err
	}
	ready := make(chan string, 1)
	ng, err := n.NewGateway(GatewayOptions{Node: "ndxp", TLS: &tls.Config{Certificates: []tls.Certificate{cert}}, PeerAddr: "127.0.0.1:0", Ready: func(a string) { ready <- a }})
	if err != nil {
		closeAll()
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		closeAll()
		return err
	}
	served := make(chan error, 1)
	go func() { served <- ng.Serve(ctx, ln) }()
	done := make(chan struct{})
	select {
	case a := <-ready:
		d.National = &National{Gateway: "https://" + a, PeerGateway: "https://" + ng.PeerAddr(), Done: done}
	case err := <-served:
		closeAll()
		return fmt.Errorf("national demo gateway: %w", err)
	}
	go func() {
		if err := <-served; err != nil {
			slog.Error("national demo gateway", "err", err)
		}
		closeAll()
		close(done)
	}()

	// Each hub registers the other.
	mine, err := s.Peering(ctx)
	if err != nil {
		return err
	}
	theirs, err := n.Peering(ctx)
	if err != nil {
		return err
	}
	if p := g.PeerAddr(); p != "" {
		if _, err := n.CreatePeer(ctx, PeerInput{Instance: s.opt.Instance, Name: "Trục liên thông tỉnh Lai Châu (LGSP)", Address: "https://" + p, CAPEM: mine.CAPEM}, Operator()); err != nil {
			return err
		}
	}
	if err := s.trustPeer(ctx, PeerInput{Instance: NationalInstance, Name: "Nền tảng tích hợp, chia sẻ dữ liệu quốc gia (NDXP, demo)", Address: d.National.PeerGateway, CAPEM: theirs.CAPEM}); err != nil {
		return err
	}

	// The national services, granted to the province's one-stop system;
	// the national consumer, granted the province's reporting service.
	urls, err := serveDemoBackends(ctx, nationalServices())
	if err != nil {
		return err
	}
	one := ClientID{s.opt.Instance, "GOV", demoConsumerMember, demoWithAccess}
	var consumer int64
	err = n.db.Tx(ctx, func(tx *sql.Tx) error {
		dt := demoTx{ctx: ctx, tx: tx, inst: NationalInstance, now: store.Now()}
		foreign, err := n.foreignSubsystem(ctx, tx, one)
		if err != nil {
			return err
		}
		for _, svc := range nationalServices() {
			_, path, err := dt.service(svc, urls[svc.code], foreign)
			if err != nil {
				return err
			}
			d.National.Services = append(d.National.Services, path)
		}
		m, err := dt.member(nationalConsumerMember, "GOV", "Văn phòng Chính phủ", NationalInstance)
		if err != nil {
			return err
		}
		consumer, err = dt.subsystem(m, nationalConsumer, "Hệ thống thông tin báo cáo Chính phủ")
		return err
	})
	if err != nil {
		return err
	}
	if err := n.Refresh(ctx); err != nil {
		return err
	}
	x, err := n.Subsystem(ctx, consumer)
	if err != nil {
		return err
	}
	is, err := n.IssueCertificate(ctx, x, CredentialInput{Name: "demo"}, Operator())
	if err != nil {
		return err
	}
	pair, err := tls.X509KeyPair([]byte(is.Certificate), []byte(is.PrivateKey))
	if err != nil {
		return err
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM([]byte(theirs.CAPEM))
	d.National.Client = x.Identifier
	d.National.HTTP = &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots, Certificates: []tls.Certificate{pair}}}}
	go func() { <-ctx.Done(); d.National.HTTP.CloseIdleConnections() }()
	err = s.write(ctx, nil, func(tx *sql.Tx) error {
		foreign, err := s.foreignSubsystem(ctx, tx, x.XRoadID())
		if err != nil {
			return err
		}
		return demoTx{ctx: ctx, tx: tx, inst: s.opt.Instance, now: store.Now()}.grant(provinceReports, foreign)
	})
	if err != nil {
		return err
	}
	for _, p := range d.Services {
		if sid, _, msg := parseTarget(p); msg == "" && sid.Code == "baocao" {
			d.National.Calls = p
		}
	}
	return nil
}

// trustPeer registers a peer or, when it is registered already (an
// earlier demo run), points it at the new address and CAs and enables it.
func (s *Store) trustPeer(ctx context.Context, in PeerInput) error {
	p, err := s.PeerByInstance(ctx, in.Instance)
	if errors.Is(err, errs.NotFound) {
		_, err = s.CreatePeer(ctx, in, Operator())
		return err
	}
	if err != nil {
		return err
	}
	on := true
	in.Enabled = &on
	_, err = s.EditPeer(ctx, p.ID, in, Operator())
	return err
}

// nationalTraffic has the national consumer call the province's reporting
// service through both gateways every few seconds.
func nationalTraffic(ctx context.Context, n *National, every time.Duration) {
	if n == nil || n.Calls == "" {
		return
	}
	c := demoClient{gateway: n.Gateway, http: n.HTTP}
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		c.get(ctx, "", n.Client, n.Calls)
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
