package audit

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/emmansun/gmsm/sm2"

	"shuyu"
)

const checkpointTag = "shuyu/audit/checkpoint/v1"

// Signer signs checkpoints with the platform's SM2 key (R29.1).
type Signer struct {
	priv *sm2.PrivateKey
	pub  []byte
	rand io.Reader
}

// NewSigner wraps an SM2 private key.
func NewSigner(priv *sm2.PrivateKey) (*Signer, error) {
	if priv == nil {
		return nil, errors.New("audit: new signer: nil key")
	}
	pub, err := publicKeyBytes(priv)
	if err != nil {
		return nil, fmt.Errorf("audit: new signer: %w", err)
	}
	return &Signer{priv: priv, pub: pub, rand: rand.Reader}, nil
}

func publicKeyBytes(priv *sm2.PrivateKey) ([]byte, error) {
	k, err := sm2.PublicKeyToECDH(&priv.PublicKey)
	if err != nil {
		return nil, err
	}
	return k.Bytes(), nil
}

// PublicKey returns the signer's public key as an uncompressed SM2 point
// (0x04 ‖ X ‖ Y, 65 bytes): the value auditors pin as the trusted key.
func (s *Signer) PublicKey() []byte { return bytes.Clone(s.pub) }

// ParsePublicKey decodes a trusted public key given as hex (as printed from
// PublicKey, e.g. in a regulator's configuration, R30.1) and checks that it
// is a point on the SM2 curve.
func ParsePublicKey(text string) ([]byte, error) {
	b, err := hex.DecodeString(strings.TrimSpace(text))
	if err == nil {
		_, err = sm2.NewPublicKey(b)
	}
	if err != nil {
		return nil, shuyu.Errorf(shuyu.EINVALID, "不是有效的 SM2 公钥 (not a valid SM2 public key, want 65-byte uncompressed point in hex)")
	}
	return b, nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// Checkpoint signs the statement "events prevSeq+1..seq have these hashes
// and the trail's head at seq is head" (R27.1, R28.1). hashes must hold the
// hashes of exactly those events in order, and head must be the last of
// them.
func (s *Signer) Checkpoint(prevSeq int64, hashes [][]byte, seq int64, head []byte, now time.Time) (*shuyu.Checkpoint, error) {
	const op = "audit.Checkpoint"
	switch {
	case prevSeq < 0 || seq <= prevSeq:
		return nil, shuyu.Errorf(shuyu.EINVALID, "检查点序号无效：上一检查点 %d，本检查点 %d (invalid checkpoint range)", prevSeq, seq)
	case int64(len(hashes)) != seq-prevSeq:
		return nil, shuyu.Errorf(shuyu.EINVALID, "检查点 %d 需要 %d 个事件哈希，收到 %d 个 (wrong number of hashes)", seq, seq-prevSeq, len(hashes))
	case !bytes.Equal(hashes[len(hashes)-1], head):
		return nil, shuyu.Errorf(shuyu.EINVALID, "检查点 %d 的头哈希与最后一个事件哈希不一致 (head is not the last hash)", seq)
	}
	for i, h := range hashes {
		if len(h) != HashSize {
			return nil, shuyu.Errorf(shuyu.EINVALID, "事件 %d 的哈希长度为 %d，应为 %d (bad hash length)", prevSeq+1+int64(i), len(h), HashSize)
		}
	}
	c := &shuyu.Checkpoint{
		Seq:       seq,
		Time:      now.UTC().Truncate(time.Microsecond),
		Head:      bytes.Clone(head),
		Root:      MerkleRoot(hashes),
		PrevSeq:   prevSeq,
		PublicKey: s.PublicKey(),
	}
	sig, err := s.priv.Sign(s.rand, checkpointBytes(nil, c), sm2.DefaultSM2SignerOpts)
	if err != nil {
		return nil, fmt.Errorf("%s %d: sign: %w", op, seq, err)
	}
	c.Signature = sig
	return c, nil
}

// checkpointBytes is the canonical encoding that the SM2 signature covers:
// every field except Signature, in fixed order, lengths prefixed.
func checkpointBytes(dst []byte, c *shuyu.Checkpoint) []byte {
	dst = append(dst, cpPrefix)
	dst = appendString(dst, checkpointTag)
	dst = binary.BigEndian.AppendUint64(dst, uint64(c.Seq))
	dst = binary.BigEndian.AppendUint64(dst, uint64(c.Time.UnixMicro()))
	dst = binary.BigEndian.AppendUint64(dst, uint64(c.PrevSeq))
	dst = appendBytes(dst, c.Head)
	dst = appendBytes(dst, c.Root)
	dst = appendBytes(dst, c.PublicKey)
	return dst
}

// VerifyCheckpoint checks c's SM2 signature. With trusted set (the
// platform's pinned public key) a checkpoint naming any other key is
// rejected before its signature is looked at; with trusted nil, c.PublicKey
// is accepted, which only proves the checkpoint is self-consistent. Failures
// are *TamperError.
func VerifyCheckpoint(c *shuyu.Checkpoint, trusted []byte) error {
	if trusted == nil {
		return VerifyCheckpointTrusting(c, nil)
	}
	return VerifyCheckpointTrusting(c, [][]byte{trusted})
}

// VerifyCheckpointTrusting is VerifyCheckpoint with a list of trusted keys
// (nil: accept c's own key; empty: trust none).
func VerifyCheckpointTrusting(c *shuyu.Checkpoint, trusted [][]byte) error {
	known := trusted == nil
	for _, k := range trusted {
		known = known || bytes.Equal(c.PublicKey, k)
	}
	if !known {
		return tamper(c.Seq, KindCheckpointKey,
			"检查点 %d 由非受信密钥签名 (checkpoint %d signed by an untrusted key: forged)", c.Seq, c.Seq)
	}
	pub, err := sm2.NewPublicKey(c.PublicKey)
	if err != nil {
		return tamper(c.Seq, KindCheckpointKey,
			"检查点 %d 的公钥无效 (checkpoint %d has an invalid public key)", c.Seq, c.Seq)
	}
	if !sm2.VerifyASN1WithSM2(pub, nil, checkpointBytes(nil, c), c.Signature) {
		return tamper(c.Seq, KindCheckpointSignature,
			"检查点 %d 的签名无效 (checkpoint %d bad signature: forged or altered)", c.Seq, c.Seq)
	}
	return nil
}
