package hub

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/tinhso/tinhso/internal/store"
)

// The demo (issue 9 part 8): `tinhso demo` starts, beside the gateway,
// small backends on loopback for the connections Lai Châu's plan names —
// judicial records, the business registry, social insurance, budget-unit
// codes, VNPost, the reporting system — each answering Vietnamese sample
// data and serving its OpenAPI description; registers them in the hub
// (members under Lai Châu's units, their services pointing at this run's
// ports); gives the one-stop system access to all of them and the data
// portal access to none; issues both a fresh client secret, printed with a
// ready curl line; and calls the gateway every few seconds as both, so
// that the message log, monitoring and the KPI have traffic.

// demoService is one demo backend.
type demoService struct {
	member, memberClass, memberName, unit string
	subsystem, subsystemName              string
	code, name, path, param               string
	sample                                string // the argument the demo calls with
	answer                                func(arg string) any
}

func demoServices() []demoService {
	return []demoService{
		{"H29.STP", "GOV", "Sở Tư pháp tỉnh Lai Châu", "LC.STP", "LLTP", "Hệ thống quản lý lý lịch tư pháp", "lltp", "Lý lịch tư pháp", "/records/{soCCCD}", "soCCCD", "079190012345",
			func(a string) any {
				return map[string]any{"soCCCD": a, "hoTen": "Nguyễn Văn An", "ngaySinh": "1990-05-12", "noiCuTru": "Phường Tân Phong, tỉnh Lai Châu", "anTich": "Không có án tích", "soPhieu": "LLTP-LC-2026-000123"}
			}},
		{"H29.STC", "GOV", "Sở Tài chính tỉnh Lai Châu", "LC.STC", "DKKD", "Hệ thống thông tin đăng ký doanh nghiệp", "dkkd", "Tra cứu danh sách hồ sơ doanh nghiệp", "/enterprises/{maSoDN}", "maSoDN", "6200123456",
			func(a string) any {
				return map[string]any{"maSoDoanhNghiep": a, "tenDoanhNghiep": "Công ty TNHH Chè Tam Đường", "trangThai": "Đang hoạt động", "ngayCap": "2019-03-04", "diaChi": "Xã Bình Lư, tỉnh Lai Châu",
					"hoSo": []map[string]any{{"soHoSo": "DKKD-2026-0457", "loai": "Thay đổi nội dung đăng ký", "trangThai": "Đã giải quyết"}}}
			}},
		{"H29.BHXH", "GOV", "Bảo hiểm xã hội tỉnh Lai Châu", "LC.BHXH", "BHXH", "Cơ sở dữ liệu bảo hiểm xã hội", "bhxh", "Tra cứu thông tin BHXH", "/insured/{maSoBHXH}", "maSoBHXH", "1221234567",
			func(a string) any {
				return map[string]any{"maSoBHXH": a, "hoTen": "Lò Thị Bình", "thoiGianDong": "8 năm 4 tháng", "theBHYT": map[string]any{"soThe": "GD4121234567890", "hanThe": "2026-12-31", "noiKCB": "Bệnh viện Đa khoa tỉnh Lai Châu"}}
			}},
		{"H29.STC", "GOV", "Sở Tài chính tỉnh Lai Châu", "LC.STC", "MQHNS", "Hệ thống cấp mã số đơn vị có quan hệ với ngân sách", "mqhns", "Cấp mã số đơn vị có quan hệ với ngân sách", "/units/{maSo}", "maSo", "1123456",
			func(a string) any {
				return map[string]any{"maSoQHNS": a, "tenDonVi": "Trường Tiểu học Tân Phong", "capNganSach": "Cấp tỉnh", "chuongNganSach": "422", "ngayCap": "2021-08-16"}
			}},
		{"VNPOST.LC", "COM", "Bưu điện tỉnh Lai Châu", "LC", "BUUCHINH", "Hệ thống bưu chính công ích", "vnpost", "VNPost: theo dõi bưu gửi kết quả thủ tục hành chính", "/tracking/{soHieu}", "soHieu", "EL123456789VN",
			func(a string) any {
				return map[string]any{"soHieuBuuGui": a, "trangThai": "Đã phát thành công", "nguoiNhan": "Nguyễn Văn An", "thoiGian": "2026-11-28T09:15:00+07:00", "buuCuc": "Bưu cục Tân Phong"}
			}},
		{"H29.VPUBND", "GOV", "Văn phòng UBND tỉnh Lai Châu", "LC.VPUBND", "BAOCAO", "Hệ thống thông tin báo cáo tỉnh", "baocao", "Hệ thống thông tin báo cáo: danh sách báo cáo định kỳ", "/reports/{ky}", "ky", "2026Q3",
			func(a string) any {
				return map[string]any{"ky": a, "baoCao": []map[string]any{{"ma": "CDS.QUY.SO.LC", "ten": "Báo cáo chuyển đổi số hằng quý (cấp sở)", "daGui": 17, "phaiGui": 20}}}
			}},
	}
}

// Demo consumers: the one-stop system with access to every demo service,
// the data portal with none.
const (
	demoConsumerMember = "H29.VPUBND"
	demoWithAccess     = "MOTCUA"
	demoWithout        = "CONGDL"
)

// Demo is what the demo printed and calls with.
type Demo struct {
	Gateway                   string
	WithClient, WithoutClient string // X-Road-Client values
	WithID, WithSecret        string
	WithoutID, WithoutSecret  string
	Services                  []string // /r1/ paths, one call each
	National                  *National
}

// SetDemo has the gateway, once it listens, start the demo backends,
// register them, print the demo's credentials to out and call itself
// every few seconds. Called before the server runs.
func (s *Store) SetDemo(out io.Writer) { s.demoOut = out }

func demoOpenAPI(d demoService) string {
	doc := map[string]any{"openapi": "3.0.3", "info": map[string]any{"title": d.name, "version": "1.0"},
		"servers": []map[string]any{{"url": "http://127.0.0.1/demo"}},
		"paths": map[string]any{d.path: map[string]any{"get": map[string]any{"summary": d.name,
			"parameters": []map[string]any{{"name": d.param, "in": "path", "required": true, "schema": map[string]any{"type": "string"}}},
			"responses":  map[string]any{"200": map[string]any{"description": "Kết quả tra cứu"}}}}}}
	b, _ := json.MarshalIndent(doc, "", "  ")
	return string(b)
}

// StartDemo runs the demo beside a serving gateway, until ctx ends:
// backends, registry, credentials (printed to out when not nil), the
// national demo hub federated with this one, traffic every 3 seconds.
func (s *Store) StartDemo(ctx context.Context, g *Gateway, out io.Writer) (Demo, error) {
	d, reports, err := s.setUpDemo(ctx, g.Addr())
	if err != nil {
		return d, fmt.Errorf("hub demo: %w", err)
	}
	if err := s.startNational(ctx, g, &d, reports); err != nil {
		return d, fmt.Errorf("hub demo: the national hub: %w", err)
	}
	printDemo(out, d)
	go s.demoTraffic(ctx, d)
	go nationalTraffic(ctx, d.National, 5*time.Second)
	return d, nil
}

func (s *Store) startDemo(ctx context.Context, g *Gateway) {
	if _, err := s.StartDemo(ctx, g, s.demoOut); err != nil {
		slog.Error("hub demo", "err", err)
	}
}

// serveDemoBackends starts the demo services' backends on loopback until
// ctx ends; the map holds each one's base URL by service code.
func serveDemoBackends(ctx context.Context, svcs []demoService) (map[string]string, error) {
	urls := map[string]string{}
	for _, svc := range svcs {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		prefix := "/" + svc.code
		base := prefix + strings.Split(svc.path, "{")[0]
		mux := http.NewServeMux()
		mux.HandleFunc("GET "+prefix+"/openapi.json", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, demoOpenAPI(svc))
		})
		mux.HandleFunc("GET "+base+"{arg}", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			json.NewEncoder(w).Encode(svc.answer(r.PathValue("arg")))
		})
		srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
		go srv.Serve(ln)
		go func() { <-ctx.Done(); srv.Close() }()
		urls[svc.code] = "http://" + ln.Addr().String() + prefix
	}
	return urls, nil
}

// demoTx writes a demo registry in one transaction, reusing what an
// earlier run registered.
type demoTx struct {
	ctx  context.Context
	tx   *sql.Tx
	inst string
	now  time.Time
}

func (d demoTx) member(code, class, name, unit string) (int64, error) {
	var id int64
	err := d.tx.QueryRowContext(d.ctx, `SELECT id FROM hub_members WHERE instance = $1 AND member_class = $2 AND member_code = $3`, d.inst, class, code).Scan(&id)
	if !errors.Is(err, sql.ErrNoRows) {
		return id, err
	}
	var unitID int64
	if err := d.tx.QueryRowContext(d.ctx, `SELECT id FROM org_units WHERE code = $1`, unit).Scan(&unitID); err != nil {
		return 0, fmt.Errorf("demo unit %s: %w", unit, err)
	}
	err = d.tx.QueryRowContext(d.ctx, `INSERT INTO hub_members (instance, member_class, member_code, name, unit_id, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id`,
		d.inst, class, code, name, unitID, d.now).Scan(&id)
	return id, err
}

func (d demoTx) subsystem(member int64, code, name string) (int64, error) {
	var id int64
	err := d.tx.QueryRowContext(d.ctx, `SELECT id FROM hub_subsystems WHERE member_id = $1 AND code = $2`, member, code).Scan(&id)
	if !errors.Is(err, sql.ErrNoRows) {
		return id, err
	}
	err = d.tx.QueryRowContext(d.ctx, `INSERT INTO hub_subsystems (member_id, code, name, created_at, updated_at) VALUES ($1, $2, $3, $4, $4) RETURNING id`, member, code, name, d.now).Scan(&id)
	return id, err
}

// service registers a demo service at its backend's URL (updated on a
// later run), with its OpenAPI description and endpoint, and grants the
// consumers access; the answer is the service's id and a /r1/ path to call.
func (d demoTx) service(svc demoService, url string, consumers ...int64) (int64, string, error) {
	m, err := d.member(svc.member, svc.memberClass, svc.memberName, svc.unit)
	if err != nil {
		return 0, "", err
	}
	x, err := d.subsystem(m, svc.subsystem, svc.subsystemName)
	if err != nil {
		return 0, "", err
	}
	ctx, tx, now := d.ctx, d.tx, d.now
	doc := demoOpenAPI(svc)
	var id int64
	err = tx.QueryRowContext(ctx, `SELECT id FROM hub_services WHERE subsystem_id = $1 AND code = $2`, x, svc.code).Scan(&id)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		err = tx.QueryRowContext(ctx, `INSERT INTO hub_services (subsystem_id, code, name, backend_url, timeout_ms, enabled, openapi, openapi_url, openapi_format, openapi_version, openapi_sha256, openapi_at, created_at, updated_at)
			VALUES ($1, $2, $3, $4, 10000, $5, $6, $7, 'json', '3.0.3', $8, $9, $9, $9) RETURNING id`, x, svc.code, svc.name, url, true, doc, url+"/openapi.json", sha256Hex([]byte(doc)), now).Scan(&id)
		if err == nil {
			_, err = tx.ExecContext(ctx, `INSERT INTO hub_endpoints (service_id, method, path, enabled, from_openapi, created_at) VALUES ($1, 'GET', $2, $3, $3, $4)`, id, svc.path, true, now)
		}
	case err == nil:
		_, err = tx.ExecContext(ctx, `UPDATE hub_services SET backend_url = $1, openapi_url = $2, updated_at = $3 WHERE id = $4`, url, url+"/openapi.json", now, id)
	}
	if err != nil {
		return 0, "", err
	}
	for _, c := range consumers {
		if err := d.grant(id, c); err != nil {
			return 0, "", err
		}
	}
	return id, "/r1/" + ServiceID{ClientID{d.inst, svc.memberClass, svc.member, svc.subsystem}, svc.code}.String() + strings.Split(svc.path, "{")[0] + svc.sample, nil
}

// grant gives a consumer access to a whole service, unless it has it.
func (d demoTx) grant(service, consumer int64) error {
	var n int
	if err := d.tx.QueryRowContext(d.ctx, `SELECT COUNT(*) FROM hub_rights WHERE service_id = $1 AND consumer_id = $2`, service, consumer).Scan(&n); err != nil || n > 0 {
		return err
	}
	_, err := d.tx.ExecContext(d.ctx, `INSERT INTO hub_rights (service_id, endpoint_id, consumer_id, granted_at) VALUES ($1, 0, $2, $3)`, service, consumer, d.now)
	return err
}

// setUpDemo registers the province's demo; the id of its reporting
// service comes back too (the national consumer is granted it).
func (s *Store) setUpDemo(ctx context.Context, addr string) (Demo, int64, error) {
	d := Demo{Gateway: "http://" + addr}
	urls, err := serveDemoBackends(ctx, demoServices())
	if err != nil {
		return d, 0, err
	}
	inst := s.opt.Instance
	ids := map[string]int64{}
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		dt := demoTx{ctx: ctx, tx: tx, inst: inst, now: store.Now()}
		consumerMember, err := dt.member(demoConsumerMember, "GOV", "Văn phòng UBND tỉnh Lai Châu", "LC.VPUBND")
		if err != nil {
			return err
		}
		if ids["with"], err = dt.subsystem(consumerMember, demoWithAccess, "Hệ thống thông tin giải quyết thủ tục hành chính tỉnh (Một cửa điện tử)"); err != nil {
			return err
		}
		if ids["without"], err = dt.subsystem(consumerMember, demoWithout, "Cổng dữ liệu mở tỉnh"); err != nil {
			return err
		}
		for _, svc := range demoServices() {
			id, path, err := dt.service(svc, urls[svc.code], ids["with"])
			if err != nil {
				return err
			}
			ids[svc.code] = id
			d.Services = append(d.Services, path)
		}
		_, err = tx.ExecContext(ctx, `UPDATE hub_state SET version = version + 1 WHERE id = 1`)
		return err
	})
	if err != nil {
		return d, 0, err
	}
	if err := s.Refresh(ctx); err != nil {
		return d, 0, err
	}
	for _, k := range []string{"with", "without"} {
		x, err := s.Subsystem(ctx, ids[k])
		if err != nil {
			return d, 0, err
		}
		is, err := s.IssueSecret(ctx, x, CredentialInput{Name: "demo " + time.Now().Format(time.DateTime)}, Operator())
		if err != nil {
			return d, 0, err
		}
		if k == "with" {
			d.WithClient, d.WithID, d.WithSecret = x.Identifier, is.ClientID, is.ClientSecret
		} else {
			d.WithoutClient, d.WithoutID, d.WithoutSecret = x.Identifier, is.ClientID, is.ClientSecret
		}
	}
	return d, ids["baocao"], nil
}

// printDemo prints the gateway's address, the consumers' credentials and
// ready curl lines, Vietnamese then English.
func printDemo(out io.Writer, d Demo) {
	if out == nil {
		return
	}
	w := &strings.Builder{} // one write: the server's banner may be printing too
	defer func() { io.WriteString(out, w.String()) }()
	fmt.Fprintf(w, "\nTrục liên thông (LGSP gateway, X-Road REST): %s\n", d.Gateway)
	fmt.Fprintf(w, "  Hệ thống có quyền (consumer with access): %s\n    client_id %s  client_secret %s\n", d.WithClient, d.WithID, d.WithSecret)
	fmt.Fprintf(w, "  Hệ thống không có quyền (consumer without access): %s\n    client_id %s  client_secret %s\n", d.WithoutClient, d.WithoutID, d.WithoutSecret)
	fmt.Fprintf(w, "Gọi thử (try):\n  TOKEN=$(curl -s -u '%s:%s' -d grant_type=client_credentials %s/oauth2/token | sed 's/.*\"access_token\":\"\\([^\"]*\\)\".*/\\1/')\n", d.WithID, d.WithSecret, d.Gateway)
	fmt.Fprintf(w, "  curl -H \"Authorization: Bearer $TOKEN\" -H 'X-Road-Client: %s' %s%s\n", d.WithClient, d.Gateway, d.Services[0])
	fmt.Fprintf(w, "  curl -H 'Accept: application/json' %s/listClients\n", d.Gateway)
	fmt.Fprintf(w, "Dịch vụ demo (demo services):\n")
	for _, p := range d.Services {
		fmt.Fprintf(w, "  %s\n", p)
	}
	if n := d.National; n != nil {
		fmt.Fprintf(w, "Nền tảng quốc gia, trục demo thứ hai (national platform demo hub, instance %s, dữ liệu mẫu / demo data): %s, liên thông (peers) %s\n", NationalInstance, n.Gateway, n.PeerGateway)
		fmt.Fprintf(w, "Gọi liên thông tới dịch vụ quốc gia (federated call, same TOKEN):\n")
		fmt.Fprintf(w, "  curl -H \"Authorization: Bearer $TOKEN\" -H 'X-Road-Client: %s' %s%s\n", d.WithClient, d.Gateway, n.Services[0])
		for _, p := range n.Services {
			fmt.Fprintf(w, "  %s\n", p)
		}
		if n.Calls != "" {
			fmt.Fprintf(w, "  Chiều ngược lại (the other way): %s gọi (calls) %s%s\n", n.Client, n.Gateway, n.Calls)
		}
	}
	fmt.Fprintf(w, "Giám sát (monitoring): /hub/monitoring; trục ngang hàng (peers): /hub/peers\n\n")
}

// demoClient calls a demo gateway as a consumer.
type demoClient struct {
	gateway string
	http    *http.Client
}

func (c demoClient) client() *http.Client {
	if c.http != nil {
		return c.http
	}
	return &http.Client{Timeout: 10 * time.Second}
}

// token buys an access token with a client id and secret ("" when it
// cannot).
func (c demoClient) token(ctx context.Context, id, secret string) string {
	req, _ := http.NewRequestWithContext(ctx, "POST", c.gateway+"/oauth2/token", strings.NewReader(url.Values{"grant_type": {"client_credentials"}}.Encode()))
	req.SetBasicAuth(id, secret)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, err := c.client().Do(req)
	if err != nil {
		return ""
	}
	defer res.Body.Close()
	var t struct {
		AccessToken string `json:"access_token"`
	}
	json.NewDecoder(res.Body).Decode(&t)
	return t.AccessToken
}

func (c demoClient) get(ctx context.Context, tok, xclient, path string) {
	req, _ := http.NewRequestWithContext(ctx, "GET", c.gateway+path, nil)
	if tok != "" { // "": the client's TLS certificate authenticates
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	req.Header.Set("X-Road-Client", xclient)
	req.Header.Set("X-Road-UserId", "VN001234567890")
	if res, err := c.client().Do(req); err == nil {
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
	}
}

// demoTraffic calls the gateway every few seconds: the one-stop system
// each demo service in turn and, every other time, a national service
// (federation); the data portal the judicial records and a national
// service (both refused).
func (s *Store) demoTraffic(ctx context.Context, d Demo) {
	c := demoClient{gateway: d.Gateway, http: &http.Client{Timeout: 10 * time.Second}}
	tick := time.NewTicker(3 * time.Second)
	defer tick.Stop()
	var with, without string
	for i := 0; ; i++ {
		if i%100 == 0 { // tokens last an hour; buy new ones now and then
			with, without = c.token(ctx, d.WithID, d.WithSecret), c.token(ctx, d.WithoutID, d.WithoutSecret)
		}
		c.get(ctx, with, d.WithClient, d.Services[i%len(d.Services)])
		if n := d.National; n != nil && len(n.Services) > 0 && i%2 == 0 {
			c.get(ctx, with, d.WithClient, n.Services[(i/2)%len(n.Services)])
		}
		if i%3 == 0 {
			c.get(ctx, without, d.WithoutClient, d.Services[0])
		}
		if n := d.National; n != nil && len(n.Services) > 0 && i%5 == 0 {
			c.get(ctx, without, d.WithoutClient, n.Services[0])
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
