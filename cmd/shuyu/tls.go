package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Transport security (R29.1; 等保 2.0 level 3 asks for confidentiality and
// integrity of data in transit). The server speaks TLS 1.2 and 1.3 with the
// standard library; 国密 TLCP (GB/T 38636) is terminated by a gateway in
// front, see docs/operations.md "Transport".

// tlsConfig loads the certificate pair and returns the server's TLS
// settings: TLS 1.2 at least; for 1.2 only ECDHE key exchange with AEAD
// ciphers (forward secrecy, no CBC, no RSA key transport); TLS 1.3's suites
// are fixed by the standard library and all AEAD.
func tlsConfig(certFile, keyFile string) (*tls.Config, error) {
	if certFile == "" || keyFile == "" {
		return nil, errors.New("--tls-cert 与 --tls-key 须同时给出 (--tls-cert and --tls-key go together)")
	}
	pair, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("读取证书失败 (loading the TLS certificate): %w", err)
	}
	return &tls.Config{
		Certificates: []tls.Certificate{pair},
		MinVersion:   tls.VersionTLS12,
		CipherSuites: []uint16{
			tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
			tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
			tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
			tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
			tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
			tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
		},
		CurvePreferences: []tls.CurveID{tls.X25519, tls.CurveP256, tls.CurveP384},
	}, nil
}

// runCerts: `shuyu certs demo --out DIR` writes a self-signed ECDSA P-256
// certificate for localhost and 127.0.0.1 (cert.pem, key.pem) for tests
// and the demo. It is not for production: a browser warns about it.
func runCerts(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "demo" {
		fmt.Fprintln(stderr, "用法 usage: shuyu certs demo --out DIR [--days N]")
		return 2
	}
	fs := flag.NewFlagSet("certs demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "./shuyu-certs", "输出目录 output directory")
	days := fs.Int("days", 90, "有效天数 days of validity")
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	if *days <= 0 || *days > 825 {
		fmt.Fprintln(stderr, "shuyu certs: --days 应在 1 到 825 之间 (--days must be 1..825)")
		return 2
	}
	cert, key, err := writeDemoCert(*out, time.Now(), time.Duration(*days)*24*time.Hour)
	if err != nil {
		fmt.Fprintln(stderr, "shuyu certs:", err)
		return 1
	}
	fmt.Fprintf(stdout, "已生成自签名演示证书 self-signed demo certificate written:\n  %s\n  %s\n", cert, key)
	fmt.Fprintf(stdout, "启动 start: shuyu serve --tls-cert %s --tls-key %s\n", cert, key)
	return 0
}

// writeDemoCert makes the pair and writes it into dir (key readable by its
// owner only); it refuses to overwrite an existing pair.
func writeDemoCert(dir string, now time.Time, valid time.Duration) (certPath, keyPath string, err error) {
	certPath, keyPath = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	for _, p := range []string{certPath, keyPath} {
		if _, err := os.Stat(p); err == nil {
			return "", "", fmt.Errorf("%s 已存在，不覆盖 (exists; not overwritten)", p)
		}
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return "", "", err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return "", "", err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "localhost", Organization: []string{"shuyu demo"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(valid),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1"), net.IPv6loopback},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return "", "", err
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return "", "", err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", "", err
	}
	if err := writeNew(keyPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		return "", "", err
	}
	if err := writeNew(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		return "", "", err
	}
	return certPath, keyPath, nil
}

func writeNew(path string, data []byte, mode os.FileMode) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, mode)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// multiFlag collects a repeatable flag (--trusted-proxy).
type multiFlag []string

func (m *multiFlag) String() string { return strings.Join(*m, ",") }

func (m *multiFlag) Set(v string) error {
	*m = append(*m, strings.Split(v, ",")...)
	return nil
}
