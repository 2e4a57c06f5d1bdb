package main

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"time"

	"shuyu"
	"shuyu/sqlstore"
	"shuyu/vault"
)

// domainKeyFile holds the domain's data key sealed under the KEK.
const domainKeyFile = "domain.key.sealed"

// openDomain opens the data domain in dir (DATA/domain, or --domain-dir)
// encrypted under its data key (sealed by the KEK of the key ring),
// migrating a clear file of an earlier release and recording that in the
// audit trail.
func openDomain(ctx context.Context, db *sqlstore.DB, dir string, now func() time.Time, log *slog.Logger) (*vault.Domain, error) {
	// A data-key rotation a crash interrupted is completed or undone first
	// (rotate.go), so exactly one sealed key and one domain file remain.
	recovered, err := finishRotation(ctx, dir, db)
	if err != nil {
		return nil, fmt.Errorf("interrupted data-key rotation: %w", err)
	}
	if recovered != "" {
		log.Warn("上次数据密钥轮换被中断，已"+map[string]string{"completed": "完成", "undone": "撤销"}[recovered]+" (an interrupted data-key rotation was "+recovered+")", "dir", dir)
	}
	key, err := db.Keys().DataKey(filepath.Join(dir, domainKeyFile), "domain")
	if err != nil {
		return nil, err
	}
	v, err := vault.Open(dir, vault.Options{Now: now, EncryptionKey: key})
	if err != nil {
		return nil, err
	}
	if v.Crypto() == "mbedtls" {
		log.Warn("数据域以 DuckDB 内置 MbedTLS 加密：密码算法相同，但随机数非密码学安全；请为服务账号离线安装 httpfs 扩展以使用 OpenSSL " +
			"(the domain is encrypted with DuckDB's built-in MbedTLS module, whose nonces come from a non-cryptographic generator; install the httpfs extension offline to use OpenSSL; docs/operations.md)")
	}
	log.Info("数据域已加密 domain encrypted at rest", "crypto", v.Crypto())
	if v.Migrated() {
		log.Warn("已将明文数据域迁移为加密文件 the clear domain file was encrypted in place; its old blocks may remain on the disk until overwritten")
		if err := db.RecordOperation(ctx, shuyu.System, shuyu.AuditDomainEncrypt, map[string]any{"crypto": v.Crypto()}); err != nil {
			v.Close()
			return nil, err
		}
	}
	return v, nil
}
