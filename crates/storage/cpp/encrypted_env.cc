// RocksDB's encrypted file system, with the cipher and the per-file header
// format supplied by Rust (crates/storage/src/encryption/env.rs).
//
// RocksDB's C API has no way to build an encrypted Env, so this file does it in
// C++ and hands the result back as the C API's `rocksdb_env_t`, which the Rust
// `rocksdb` crate adopts with `Env::from_raw`. Everything that needs judgement
// (key derivation, nonces, header layout, key checks, AES) lives in Rust; this
// file only adapts RocksDB's `EncryptionProvider` and `BlockAccessCipherStream`
// interfaces to four `extern "C"` functions.
//
// RocksDB's own CTREncryptionProvider is not used: it draws each file's IV from
// a PRNG seeded with the clock's microseconds (32 bits of seed), so two files
// created in the same microsecond share a keystream, and it encrypts one
// 16-byte block per virtual call.

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>

#include "rocksdb/env.h"
#include "rocksdb/env_encryption.h"
#include "rocksdb/file_system.h"
#include "rocksdb/status.h"

// Same layout as the definition in RocksDB's db/c.cc, so that the C API's
// rocksdb_env_destroy (called when the Rust `Env` is dropped) frees it.
struct rocksdb_env_t {
  rocksdb::Env* rep;
  bool is_default;
};

extern "C" {
// Implemented in Rust. `cipher` is the opaque pointer given to
// ferrodyn_encrypted_env_new. The two prefix functions return 0 on success;
// otherwise they leave a NUL-terminated reason in `message`. RocksDB passes a
// new file's prefix to CreateCipherStream right after CreateNewPrefix, so the
// nonce is only ever read back from a prefix.
int ferrodyn_encryption_new_prefix(const void* cipher, char* prefix,
                                   size_t prefix_len, char* message,
                                   size_t message_len);
int ferrodyn_encryption_open_prefix(const void* cipher, const char* prefix,
                                    size_t prefix_len, uint8_t* nonce,
                                    char* message, size_t message_len);
void ferrodyn_encryption_apply(const void* cipher, const uint8_t* nonce,
                               uint64_t file_offset, char* data, size_t len);
void ferrodyn_encryption_release(void* cipher);
}

namespace {

using rocksdb::BlockAccessCipherStream;
using rocksdb::EncryptionProvider;
using rocksdb::EnvOptions;
using rocksdb::Slice;
using rocksdb::Status;

constexpr size_t kNonceLen = 16;
constexpr size_t kMessageLen = 256;

// One open file's keystream: the cipher plus the file's nonce. Encrypting and
// decrypting are the same XOR in CTR mode.
class RustCipherStream final : public BlockAccessCipherStream {
 public:
  RustCipherStream(const void* cipher, const uint8_t* nonce) : cipher_(cipher) {
    std::memcpy(nonce_, nonce, kNonceLen);
  }

  size_t BlockSize() override { return 16; }

  // Whole ranges go to Rust in one call (the base class would call
  // EncryptBlock once per 16 bytes).
  Status Encrypt(uint64_t file_offset, char* data, size_t len) override {
    ferrodyn_encryption_apply(cipher_, nonce_, file_offset, data, len);
    return Status::OK();
  }

  Status Decrypt(uint64_t file_offset, char* data, size_t len) override {
    return Encrypt(file_offset, data, len);
  }

 protected:
  void AllocateScratch(std::string&) override {}

  Status EncryptBlock(uint64_t block_index, char* data, char*) override {
    return Encrypt(block_index * BlockSize(), data, BlockSize());
  }

  Status DecryptBlock(uint64_t block_index, char* data, char*) override {
    return EncryptBlock(block_index, data, nullptr);
  }

 private:
  const void* cipher_;
  uint8_t nonce_[kNonceLen];
};

// Owns the Rust cipher; RocksDB keeps the provider alive as long as any file
// system (and so any open database) uses it.
class RustEncryptionProvider final : public EncryptionProvider {
 public:
  RustEncryptionProvider(void* cipher, size_t prefix_len)
      : cipher_(cipher), prefix_len_(prefix_len) {}

  ~RustEncryptionProvider() override { ferrodyn_encryption_release(cipher_); }

  RustEncryptionProvider(const RustEncryptionProvider&) = delete;
  RustEncryptionProvider& operator=(const RustEncryptionProvider&) = delete;

  const char* Name() const override { return "FerrodynAes256Ctr"; }

  size_t GetPrefixLength() const override { return prefix_len_; }

  Status CreateNewPrefix(const std::string& fname, char* prefix,
                         size_t prefix_len) const override {
    char message[kMessageLen] = {0};
    if (ferrodyn_encryption_new_prefix(cipher_, prefix, prefix_len, message,
                                       sizeof message) != 0) {
      return Status::IOError(fname, message);
    }
    return Status::OK();
  }

  Status AddCipher(const std::string&, const char*, size_t, bool) override {
    return Status::NotSupported("the ferrodyn cipher has exactly one key");
  }

  Status CreateCipherStream(
      const std::string& fname, const EnvOptions&, Slice& prefix,
      std::unique_ptr<BlockAccessCipherStream>* result) override {
    uint8_t nonce[kNonceLen];
    char message[kMessageLen] = {0};
    if (ferrodyn_encryption_open_prefix(cipher_, prefix.data(), prefix.size(),
                                        nonce, message, sizeof message) != 0) {
      return Status::Corruption(fname, message);
    }
    result->reset(new RustCipherStream(cipher_, nonce));
    return Status::OK();
  }

 private:
  void* cipher_;
  size_t prefix_len_;
};

// RocksDB's encrypted file system forwards NewLogger to the base (POSIX)
// file system, which writes the info LOG in the clear. This sends it through
// the encrypted NewWritableFile instead, as FileSystem's default NewLogger
// does for file systems without a logger of their own.
class EncryptedInfoLog final : public rocksdb::FileSystemWrapper {
 public:
  explicit EncryptedInfoLog(const std::shared_ptr<rocksdb::FileSystem>& fs)
      : rocksdb::FileSystemWrapper(fs) {}

  const char* Name() const override { return "FerrodynEncryptedInfoLog"; }

  rocksdb::IOStatus NewLogger(const std::string& fname,
                              const rocksdb::IOOptions& options,
                              std::shared_ptr<rocksdb::Logger>* result,
                              rocksdb::IODebugContext* dbg) override {
    return rocksdb::FileSystem::NewLogger(fname, options, result, dbg);
  }
};

}  // namespace

// Returns a new Env over the default one whose files are all encrypted with
// `cipher`, or null (having released `cipher`) if RocksDB refused to build it.
// Ownership of `cipher` passes to the Env.
extern "C" rocksdb_env_t* ferrodyn_encrypted_env_new(void* cipher,
                                                     size_t prefix_len) {
  std::shared_ptr<EncryptionProvider> provider =
      std::make_shared<RustEncryptionProvider>(cipher, prefix_len);
  std::shared_ptr<rocksdb::FileSystem> encrypted =
      rocksdb::NewEncryptedFS(rocksdb::FileSystem::Default(), provider);
  if (!encrypted) {
    return nullptr;
  }
  std::unique_ptr<rocksdb::Env> env = rocksdb::NewCompositeEnv(
      std::make_shared<EncryptedInfoLog>(encrypted));
  if (!env) {
    return nullptr;
  }
  return new rocksdb_env_t{env.release(), false};
}
