package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/tinhso/tinhso/internal/config"
	"github.com/tinhso/tinhso/internal/errs"
	"github.com/tinhso/tinhso/internal/hub"
	"github.com/tinhso/tinhso/internal/org"
	"github.com/tinhso/tinhso/internal/store"
)

const hubUsage = `tinhso hub — the data exchange hub's operator commands (every one takes --db URL)

  tinhso hub verify [--public-key BASE64]... [--hub-tsa-ca FILE] [--archives DIR] [--json]
                           check the message log's chains, seals and time-stamp tokens from the archive's
                           anchor on (with --archives, the archive files too); exit 1 naming the first broken record
  tinhso hub export-proof X-ROAD-REQUEST-ID [--bodies] [--out FILE] [--hub-archive-dir DIR]
                           one exchange's records with the chain to their seal, the seal and its public key (JSON);
                           an archived exchange is read from its archive file
  tinhso hub verify-proof FILE [--public-key BASE64]... [--hub-tsa-ca FILE]
                           check a proof offline (no --db): exit 1 naming what is wrong
  tinhso hub verify-archive FILE... [--public-key BASE64]... [--hub-tsa-ca FILE]
                           check archive files of one chain, in order, offline (no --db): exit 1 naming the first broken record
  tinhso hub archive [--hub-archive-days N] [--hub-opmon-days N] [--hub-archive-dir DIR]
                           archive the sealed batches older than N days and delete old monitoring rows now
                           (the server does it every hour)
  tinhso hub keys          the hub's public keys (seal, ca)
  tinhso hub rotate-key seal|ca
                           a new key signs from now on; older ones retire and still verify
  tinhso hub key-file seal|ca FILE
                           write a new private key into FILE (mode 0600, no --db) for --hub-seal-key
                           or --hub-ca-key: that purpose's key then never enters the database
  tinhso hub secret SUBSYSTEM [--name NAME]
                           an OAuth2 client id and secret for a subsystem (the secret is shown once)
  tinhso hub cert SUBSYSTEM [--csr FILE] [--days N] [--name NAME] [--out DIR]
                           a TLS client certificate from the hub's CA (DIR gets the certificate, the key, ca.crt)
  tinhso hub credentials SUBSYSTEM
                           a subsystem's credentials
  tinhso hub revoke CREDENTIAL_ID
                           stop a credential: refused from the gateway's next request on
  tinhso hub rotate CREDENTIAL_ID [--grace 10m] [--csr FILE] [--days N] [--out DIR]
                           replace a credential; the old one stops after the grace
  tinhso hub server-cert --host NAME[,NAME] --out DIR [--days N]
                           a TLS server certificate from the hub's CA (for the gateway, or a backend)
  tinhso hub peering       this hub's instance and CA certificates: what a peer hub registers it with
  tinhso hub peers         the peer hubs (federation)
  tinhso hub peer-add INSTANCE --address https://HOST:PORT --ca FILE [--name NAME] [--timeout-ms N]
                           trust another hub: calls for INSTANCE go to its gateway over mutual TLS
  tinhso hub peer-enable INSTANCE | peer-disable INSTANCE
                           federation with a peer on or off, from its gateway's next request

verify-proof, verify-archive and key-file are the commands without a database.
SUBSYSTEM is an identifier INSTANCE/CLASS/MEMBER/SUBSYSTEM or a subsystem id.
`

// errBrokenLog is what verify returns on a broken log (exit 1).
var errBrokenLog = errors.New("the message log does not verify")

func hubCommand(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(stdout, hubUsage)
		return nil
	}
	sub, args := args[0], args[1:]
	cfg := config.Default()
	fs := newFlags("hub "+sub, stderr)
	cfg.Bind(fs, "db", "hub-instance", "hub-archive-dir", "hub-archive-days", "hub-opmon-days", "hub-tsa-ca", "hub-seal-key", "hub-ca-key")
	var (
		keys                   multiFlag
		asJSON                 bool
		name, csrFile, out     string
		hosts                  string
		days                   int
		grace                  time.Duration
		takesArg, needsHubKeys bool
		bodies                 bool
		archives               string
		address, caFile        string
		timeoutMS              int
	)
	switch sub {
	case "verify":
		fs.Var(&keys, "public-key", "a trusted seal key (base64, as `tinhso hub keys` prints it); repeatable; default: the keys in the database")
		fs.BoolVar(&asJSON, "json", false, "print the report as JSON")
		fs.StringVar(&archives, "archives", "", "the archive directory: check the archive files too, from the first record to the anchor")
	case "verify-archive":
		takesArg = true
		fs.Var(&keys, "public-key", "a trusted seal key (base64); repeatable; default: the keys in the file")
		fs.BoolVar(&asJSON, "json", false, "print the report as JSON")
	case "archive":
	case "key-file":
		takesArg = true
	case "keys":
	case "rotate-key":
		takesArg = true
	case "export-proof":
		takesArg = true
		fs.StringVar(&out, "out", "", "write the proof into this file instead of printing it")
		fs.BoolVar(&bodies, "bodies", false, "add the exchange's bodies when its subsystems keep them")
	case "verify-proof":
		takesArg = true
		fs.Var(&keys, "public-key", "a trusted seal key (base64, as `tinhso hub keys` prints it); repeatable; default: the key in the proof")
		fs.BoolVar(&asJSON, "json", false, "print the report as JSON")
	case "secret":
		takesArg = true
		fs.StringVar(&name, "name", "cli", "a name to recognise the credential by")
	case "cert", "rotate":
		takesArg, needsHubKeys = true, true
		fs.StringVar(&name, "name", "", "a name to recognise the credential by")
		fs.StringVar(&csrFile, "csr", "", "a PEM certificate request; without one the hub generates the key")
		fs.IntVar(&days, "days", 0, "certificate lifetime in days (default 365, at most 825)")
		fs.StringVar(&out, "out", "", "write the certificate, its key and ca.crt into this directory instead of printing them")
		if sub == "rotate" {
			fs.DurationVar(&grace, "grace", 0, "how long the old credential keeps working, e.g. 10m (at most a week)")
		}
	case "credentials", "revoke":
		takesArg = true
	case "server-cert":
		needsHubKeys = true
		fs.StringVar(&hosts, "host", "", "host names or addresses the certificate is for, comma-separated")
		fs.StringVar(&out, "out", "", "directory to write server.crt, server.key and ca.crt into")
		fs.IntVar(&days, "days", 0, "lifetime in days (default 365, at most 825)")
	case "peering", "peers":
		needsHubKeys = sub == "peering"
	case "peer-add":
		takesArg = true
		fs.StringVar(&address, "address", "", "the peer's gateway, https://host:port")
		fs.StringVar(&caFile, "ca", "", "a PEM file of the CA certificates the peer's certificates chain to (its `tinhso hub peering`)")
		fs.StringVar(&name, "name", "", "the peer's name (default: its instance)")
		fs.IntVar(&timeoutMS, "timeout-ms", 0, "connect and read timeout of calls to the peer (default 30000)")
	case "peer-enable", "peer-disable":
		takesArg = true
	default:
		return fmt.Errorf("hub: unknown subcommand %q (run tinhso hub help)", sub)
	}
	var arg string
	if takesArg && len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		arg, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if takesArg && arg == "" && fs.NArg() > 0 {
		arg = fs.Arg(0)
	}
	if takesArg && arg == "" {
		return fmt.Errorf("hub %s: an argument is required (run tinhso hub help)", sub)
	}
	switch sub {
	case "verify-proof", "verify-archive":
		roots, err := hub.LoadTSARoots(cfg.Hub.TSACA)
		if err != nil {
			return err
		}
		o := hub.VerifyOptions{PublicKeys: keys, TSARoots: roots}
		if sub == "verify-archive" {
			return hubVerifyArchive(append([]string{arg}, fs.Args()...), o, asJSON, stdout)
		}
		return hubVerifyProof(arg, o, asJSON, stdout)
	case "key-file":
		if fs.NArg() != 1 {
			return errors.New("hub key-file: want a purpose (token, seal or ca) and a file")
		}
		k, err := hub.WriteKeyFile(arg, fs.Arg(0))
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "wrote %s: %s key %s (%s), public key %s\n", fs.Arg(0), k.Purpose, k.KID, k.Algorithm, k.PublicKey)
		return nil
	}
	ctx := context.Background()
	db, err := open(ctx, cfg, false)
	if err != nil {
		return err
	}
	defer db.Close()
	archiveDays, opmonDays, err := cfg.Hub.Days()
	if err != nil {
		return err
	}
	h := hub.NewStore(db, org.NewStore(db, cfg.Passwords), hub.Options{Instance: cfg.Hub.Instance, KeyFiles: cfg.Hub.KeyFiles(),
		Retention: hub.RetentionOptions{ArchiveDir: cfg.Hub.ArchiveDir, ArchiveDays: archiveDays, OpmonDays: opmonDays}})
	if needsHubKeys {
		if err := h.EnsureKeys(ctx); err != nil {
			return err
		}
	}
	switch sub {
	case "verify":
		roots, err := hub.LoadTSARoots(cfg.Hub.TSACA)
		if err != nil {
			return err
		}
		return hubVerify(ctx, db, hub.VerifyOptions{PublicKeys: keys, TSARoots: roots, Archives: archives}, asJSON, stdout)
	case "archive":
		as, purged, err := h.RetainOnce(ctx, time.Now())
		for _, a := range as {
			fmt.Fprintf(stdout, "archived chain %s records %d–%d (seals %d–%d) into %s\n", a.Chain, a.FirstSeq, a.LastSeq, a.FirstSeal, a.LastSeal, filepath.Join(cfg.Hub.ArchiveDir, a.File))
		}
		fmt.Fprintf(stdout, "%d archive file(s) written, %d monitoring record(s) deleted\n", len(as), purged)
		return err
	case "export-proof":
		p, err := hub.ExportProof(ctx, db, cfg.Hub.Instance, arg, hub.ProofOptions{Bodies: bodies, ArchiveDir: cfg.Hub.ArchiveDir})
		if errors.Is(err, errs.NotFound) {
			return fmt.Errorf("hub export-proof: no exchange with X-Road-Request-Id %q in the message log", arg)
		} else if err != nil {
			return fmt.Errorf("hub export-proof: %w", err)
		}
		b, _ := json.MarshalIndent(p, "", "  ")
		b = append(b, '\n')
		if out == "" {
			_, err = stdout.Write(b)
			return err
		}
		if err := os.WriteFile(out, b, 0o644); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "wrote %s: %d records of exchange %s, %d to seal %d of chain %s, %d bodies\n", out, len(p.Subjects), p.XRequestID, len(p.Records), p.Seal.Seq, p.Seal.Chain, len(p.Bodies))
		if p.Archive != "" {
			fmt.Fprintf(stdout, "the exchange is archived: read from %s\n", filepath.Join(cfg.Hub.ArchiveDir, p.Archive))
		}
		return nil
	case "keys":
		if err := h.EnsureKeys(ctx); err != nil {
			return err
		}
		ks, err := h.Keys(ctx)
		if err != nil {
			return err
		}
		for _, k := range ks {
			state := "active"
			if !k.Active() {
				state = "retired " + k.RetiredAt.Format(time.RFC3339)
			}
			fmt.Fprintf(stdout, "%-5s %s %-10s %s %s %s\n", k.Purpose, k.KID, k.Algorithm, k.CreatedAt.Format(time.RFC3339), state, k.PublicKey)
		}
		return nil
	case "rotate-key":
		k, err := h.RotateKey(ctx, arg, hub.OperatorEvent())
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s key %s signs from now on\n", k.Purpose, k.KID)
		return nil
	case "peering":
		p, err := h.Peering(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "instance %s\n%s", p.Instance, p.CAPEM)
		return nil
	case "peers":
		ps, err := h.Peers(ctx)
		if err != nil {
			return err
		}
		for _, p := range ps {
			state := "enabled"
			if !p.Enabled {
				state = "disabled"
			}
			fmt.Fprintf(stdout, "#%d %-10s %-8s %s %s (CA %s)\n", p.ID, p.Instance, state, p.Address, p.Name, strings.Join(p.CAs, ", "))
		}
		return nil
	case "peer-add":
		ca, err := os.ReadFile(caFile)
		if caFile == "" || err != nil {
			return fmt.Errorf("hub peer-add: --ca FILE is required: %v", err)
		}
		if name == "" {
			name = arg
		}
		p, err := h.CreatePeer(ctx, hub.PeerInput{Instance: arg, Name: name, Address: address, CAPEM: string(ca), TimeoutMS: timeoutMS}, hub.Operator())
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "peer #%d %s at %s trusted (CA %s)\n", p.ID, p.Instance, p.Address, strings.Join(p.CAs, ", "))
		return nil
	case "peer-enable", "peer-disable":
		p, err := h.PeerByInstance(ctx, arg)
		if err != nil {
			return fmt.Errorf("hub %s: no peer of instance %q", sub, arg)
		}
		on := sub == "peer-enable"
		if p, err = h.EditPeer(ctx, p.ID, hub.PeerInput{Enabled: &on}, hub.Operator()); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "peer %s %s\n", p.Instance, map[bool]string{true: "enabled", false: "disabled"}[p.Enabled])
		return nil
	case "server-cert":
		if out == "" {
			return errors.New("hub server-cert: --out DIR is required")
		}
		var list []string
		for _, h := range strings.Split(hosts, ",") {
			if h = strings.TrimSpace(h); h != "" {
				list = append(list, h)
			}
		}
		is, err := h.Authority().IssueServer(ctx, list, days)
		if err != nil {
			return err
		}
		return writePEMs(stdout, out, "server", is.CertPEM, is.KeyPEM, is.CAPEM)
	}
	if sub == "revoke" || sub == "rotate" {
		id, err := strconv.ParseInt(arg, 10, 64)
		if err != nil || id <= 0 {
			return fmt.Errorf("hub %s: %q is not a credential id", sub, arg)
		}
		if sub == "revoke" {
			c, err := h.RevokeCredential(ctx, id, hub.Operator())
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "revoked %s #%d of %s\n", c.Kind, c.ID, c.Subsystem)
			return nil
		}
		in := hub.RotateInput{GraceMinutes: int(grace / time.Minute)}
		in.Name, in.Days = name, days
		if in.CSR, err = readCSR(csrFile); err != nil {
			return err
		}
		is, err := h.RotateCredential(ctx, id, in, hub.Operator())
		if err != nil {
			return err
		}
		return printIssued(stdout, out, is)
	}
	x, err := subsystemArg(ctx, h, arg)
	if err != nil {
		return err
	}
	switch sub {
	case "secret":
		is, err := h.IssueSecret(ctx, x, hub.CredentialInput{Name: name}, hub.Operator())
		if err != nil {
			return err
		}
		return printIssued(stdout, "", is)
	case "cert":
		in := hub.CredentialInput{Name: name, Days: days}
		if in.CSR, err = readCSR(csrFile); err != nil {
			return err
		}
		is, err := h.IssueCertificate(ctx, x, in, hub.Operator())
		if err != nil {
			return err
		}
		return printIssued(stdout, out, is)
	case "credentials":
		cs, err := h.Credentials(ctx, x.ID)
		if err != nil {
			return err
		}
		for _, c := range cs {
			state := "active"
			if !c.Active {
				state = "stopped"
			}
			label := c.ClientID
			if c.Kind == hub.KindCertificate {
				label = "serial " + c.CertSerial
			}
			fmt.Fprintf(stdout, "#%d %-11s %s %s %s\n", c.ID, c.Kind, state, label, c.Name)
		}
	}
	return nil
}

func subsystemArg(ctx context.Context, h *hub.Store, arg string) (hub.Subsystem, error) {
	if id, err := strconv.ParseInt(arg, 10, 64); err == nil {
		x, err := h.Subsystem(ctx, id)
		if err != nil {
			return x, fmt.Errorf("no subsystem %d", id)
		}
		return x, nil
	}
	cid, err := hub.ParseClientID(arg)
	if err != nil || !cid.IsSubsystem() {
		return hub.Subsystem{}, fmt.Errorf("%q: want a subsystem id or INSTANCE/CLASS/MEMBER/SUBSYSTEM", arg)
	}
	x, err := h.SubsystemByID(ctx, cid)
	if err != nil {
		return x, fmt.Errorf("no subsystem %s", arg)
	}
	return x, nil
}

func readCSR(file string) (string, error) {
	if file == "" {
		return "", nil
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return "", fmt.Errorf("--csr: %w", err)
	}
	return string(b), nil
}

// printIssued shows a new credential: what is shown only once goes to
// stdout, or for a certificate into DIR with the key readable by its owner
// only.
func printIssued(stdout io.Writer, dir string, is hub.IssuedCredential) error {
	fmt.Fprintf(stdout, "credential #%d (%s) of %s\n", is.ID, is.Kind, is.Subsystem)
	if is.Kind == hub.KindSecret {
		fmt.Fprintf(stdout, "client_id: %s\nclient_secret: %s\n(the secret is shown only now; buy tokens with grant_type=client_credentials at the single sign-on provider's /oauth2/token or the gateway's)\n", is.ClientID, is.ClientSecret)
		return nil
	}
	if dir == "" {
		fmt.Fprint(stdout, is.Certificate)
		fmt.Fprint(stdout, is.PrivateKey)
		return nil
	}
	base := strings.NewReplacer("/", "_", "%", "_").Replace(is.Subsystem)
	return writePEMs(stdout, dir, base, is.Certificate, is.PrivateKey, is.CACertificate)
}

func writePEMs(stdout io.Writer, dir, base, cert, key, ca string) error {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return err
	}
	files := []struct {
		name, data string
		mode       os.FileMode
	}{{base + ".crt", cert, 0o644}, {base + ".key", key, 0o600}, {"ca.crt", ca, 0o644}}
	for _, f := range files {
		if f.data == "" {
			continue
		}
		p := filepath.Join(dir, f.name)
		if err := os.WriteFile(p, []byte(f.data), f.mode); err != nil {
			return err
		}
		fmt.Fprintln(stdout, "wrote "+p)
	}
	return nil
}

// errBrokenProof is what verify-proof returns on a proof that fails (exit 1).
var errBrokenProof = errors.New("the proof does not verify")

func hubVerifyProof(file string, o hub.VerifyOptions, asJSON bool, stdout io.Writer) error {
	b, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	rep, err := hub.VerifyProof(b, o)
	if err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	if asJSON {
		printJSON(stdout, rep)
	} else if rep.OK {
		fmt.Fprintf(stdout, "proof ok: exchange %s, %d records of it in chain %s, sealed by seal %d at %s with key %s; %d bodies match their digests\n", rep.XRequestID, rep.Subjects, rep.Chain, rep.SealSeq,
			time.UnixMicro(rep.SealedAtUS).UTC().Format(time.RFC3339), rep.KID, rep.Bodies)
		if rep.TimestampedAt != "" {
			fmt.Fprintf(stdout, "the seal's time-stamp token verifies: %s\n", rep.TimestampedAt)
		}
	}
	if !rep.OK {
		return fmt.Errorf("%w: %s", errBrokenProof, rep.Problem)
	}
	return nil
}

// errBrokenArchive is what verify-archive returns on files that fail (exit 1).
var errBrokenArchive = errors.New("the archive does not verify")

func hubVerifyArchive(files []string, o hub.VerifyOptions, asJSON bool, stdout io.Writer) error {
	rep, err := hub.VerifyArchiveFiles(files, o)
	if err != nil {
		return err
	}
	if asJSON {
		printJSON(stdout, rep)
	} else if rep.OK {
		fmt.Fprintf(stdout, "archive ok: %d file(s) of chain %s, records %d–%d, %d seals (%d time-stamped); ends at record hash %s, seal hash %s\n",
			rep.Files, rep.Chain, rep.FirstSeq, rep.LastSeq, rep.Seals, rep.Timestamp, rep.LastHash, rep.LastSealHash)
	}
	if !rep.OK {
		return fmt.Errorf("%w: %s: %s", errBrokenArchive, rep.File, rep.Problem)
	}
	return nil
}

func hubVerify(ctx context.Context, db *store.DB, o hub.VerifyOptions, asJSON bool, stdout io.Writer) error {
	rep, err := hub.VerifyLog(ctx, db, o)
	if err != nil {
		return err
	}
	if asJSON {
		printJSON(stdout, rep)
	} else {
		if len(rep.Chains) == 0 {
			fmt.Fprintln(stdout, "the message log is empty")
		}
		for _, c := range rep.Chains {
			if c.OK {
				fmt.Fprintf(stdout, "chain %s: ok, %d records, %d seals, sealed to record %d, %d not yet sealed\n", c.Chain, c.Records, c.Seals, c.SealedTo, c.Unsealed)
				if c.Archived > 0 {
					fmt.Fprintf(stdout, "chain %s: records 1–%d archived (from the anchor on here; %d archive files checked)\n", c.Chain, c.Archived, c.ArchiveFiles)
				}
				if c.Timestamped > 0 {
					fmt.Fprintf(stdout, "chain %s: %d seals time-stamped, %d without a token\n", c.Chain, c.Timestamped, c.Untimestamped)
				}
			} else {
				fmt.Fprintf(stdout, "chain %s: BROKEN: %s\n", c.Chain, c.Problem)
			}
		}
	}
	if !rep.OK {
		for _, c := range rep.Chains {
			if !c.OK {
				return fmt.Errorf("%w: chain %s: %s", errBrokenLog, c.Chain, c.Problem)
			}
		}
	}
	return nil
}

// printJSON prints v indented.
func printJSON(stdout io.Writer, v any) {
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}
