#include "raftkv/server/snapshot_file.h"

#include <openssl/evp.h>

#include <fstream>
#include <memory>

#include "absl/strings/str_cat.h"
#include "raftkv/mvcc/store.h"
#include "raftkv/server/membership.h"
#include "raftkv/wal/wal_storage.h"
#include "serverpb/apply.pb.h"

namespace raftkv::server {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kMagic = "RAFTKVSNAP1\n";
constexpr size_t kDigestBytes = 32;
constexpr size_t kChunkBytes = 1 << 20;

struct DigestDeleter {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};
using Digest = std::unique_ptr<EVP_MD_CTX, DigestDeleter>;

Digest NewDigest() {
  Digest d(EVP_MD_CTX_new());
  EVP_DigestInit_ex(d.get(), EVP_sha256(), nullptr);
  return d;
}

std::string Finish(const Digest& d) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(d.get(), out, &len);
  return std::string(reinterpret_cast<char*>(out), len);
}

void AppendInt(std::string& out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i)
    out.push_back(static_cast<char>(v >> (8 * i)));
}

// Sends bytes through the digest and on to chunk.
class DigestingWriter {
 public:
  explicit DigestingWriter(const std::function<bool(const std::string&)>& chunk) : chunk_(chunk) {}
  bool Write(const std::string& bytes) {
    EVP_DigestUpdate(digest_.get(), bytes.data(), bytes.size());
    written_ += bytes.size();
    return chunk_(bytes);
  }
  // Pads to 512 bytes (see the file layout), then appends the digest.
  bool Close() {
    size_t padding = (kPadTo - written_ % kPadTo) % kPadTo;
    if (padding > 0 && !Write(std::string(padding, '\0'))) return false;
    return chunk_(Finish(digest_));
  }

 private:
  static constexpr size_t kPadTo = 512;
  const std::function<bool(const std::string&)>& chunk_;
  Digest digest_ = NewDigest();
  uint64_t written_ = 0;
};

// Reads the file and checks its digest, handing out its parts in order.
class SnapshotReader {
 public:
  explicit SnapshotReader(const fs::path& file) : path_(file), in_(file, std::ios::binary) {}

  bool open() const { return in_.good(); }
  absl::Status Read(size_t n, std::string* out) {
    out->resize(n);
    in_.read(out->data(), static_cast<std::streamsize>(n));
    if (static_cast<size_t>(in_.gcount()) != n) return Bad("truncated");
    EVP_DigestUpdate(digest_.get(), out->data(), n);
    offset_ += n;
    return absl::OkStatus();
  }
  absl::StatusOr<uint64_t> ReadInt(int bytes) {
    std::string raw;
    if (auto s = Read(bytes, &raw); !s.ok()) return s;
    uint64_t v = 0;
    for (int i = bytes - 1; i >= 0; --i)
      v = (v << 8) | static_cast<unsigned char>(raw[i]);
    return v;
  }
  // The zero padding between the end marker and the digest.
  absl::Status SkipPadding() {
    std::string pad;
    while (offset_ % 512 != 0) {
      if (auto s = Read(1, &pad); !s.ok()) return s;
      if (pad[0] != '\0') return Bad("non-zero padding");
    }
    return absl::OkStatus();
  }
  absl::Status CheckDigest() {
    if (auto s = SkipPadding(); !s.ok()) return s;
    std::string want = Finish(digest_);
    std::string got(kDigestBytes, '\0');
    in_.read(got.data(), kDigestBytes);
    if (static_cast<size_t>(in_.gcount()) != kDigestBytes || got != want) {
      return Bad("SHA-256 digest mismatch");
    }
    if (in_.peek() != std::char_traits<char>::eof()) return Bad("trailing bytes after digest");
    return absl::OkStatus();
  }
  absl::Status Bad(absl::string_view what) const {
    return absl::DataLossError(
        absl::StrCat("snapshot file ", path_.string(), " at offset ", offset_, ": ", what));
  }

 private:
  fs::path path_;
  std::ifstream in_;
  uint64_t offset_ = 0;
  Digest digest_ = NewDigest();
};

absl::Status UnpackInto(SnapshotReader& r, const fs::path& target) {
  std::string magic;
  if (auto s = r.Read(kMagic.size(), &magic); !s.ok()) return s;
  if (magic != kMagic) return r.Bad("not a raftkv snapshot file");
  for (;;) {
    auto name_len = r.ReadInt(4);
    if (!name_len.ok()) return name_len.status();
    if (*name_len == 0) break;
    if (*name_len > 4096) return r.Bad("file name too long");
    std::string name;
    if (auto s = r.Read(*name_len, &name); !s.ok()) return s;
    fs::path rel(name);
    if (rel.is_absolute() || name.find("..") != std::string::npos) return r.Bad("unsafe file name");
    auto size = r.ReadInt(8);
    if (!size.ok()) return size.status();
    // The error_code overload: a name whose directory part is an earlier file's name must be
    // refused as damage, not thrown.
    std::error_code ec;
    fs::create_directories((target / rel).parent_path(), ec);
    if (ec) return r.Bad(absl::StrCat("cannot create the directory of ", name, ": ", ec.message()));
    std::ofstream out(target / rel, std::ios::binary);
    std::string buf;
    for (uint64_t left = *size; left > 0;) {
      size_t n = static_cast<size_t>(std::min<uint64_t>(left, kChunkBytes));
      if (auto s = r.Read(n, &buf); !s.ok()) return s;
      out.write(buf.data(), static_cast<std::streamsize>(n));
      left -= n;
    }
    if (!out.good())
      return absl::InternalError(absl::StrCat("cannot write ", (target / rel).string()));
  }
  return r.CheckDigest();
}

}  // namespace

absl::Status StreamSnapshot(const fs::path& dir,
                            const std::function<bool(const std::string& chunk)>& chunk) {
  DigestingWriter w(chunk);
  auto cancelled = [] { return absl::CancelledError("snapshot stream closed by the receiver"); };
  if (!w.Write(std::string(kMagic))) return cancelled();
  std::error_code ec;
  for (const auto& entry : fs::recursive_directory_iterator(dir, ec)) {
    if (!entry.is_regular_file()) continue;
    std::string name = fs::relative(entry.path(), dir).string();
    std::string header;
    AppendInt(header, name.size(), 4);
    header += name;
    AppendInt(header, entry.file_size(), 8);
    if (!w.Write(header)) return cancelled();
    std::ifstream in(entry.path(), std::ios::binary);
    std::string buf(kChunkBytes, '\0');
    while (in) {
      in.read(buf.data(), kChunkBytes);
      std::streamsize n = in.gcount();
      if (n > 0 && !w.Write(buf.substr(0, static_cast<size_t>(n)))) return cancelled();
    }
  }
  if (ec)
    return absl::InternalError(absl::StrCat("cannot read ", dir.string(), ": ", ec.message()));
  std::string end;
  AppendInt(end, 0, 4);
  if (!w.Write(end) || !w.Close()) return cancelled();
  return absl::OkStatus();
}

absl::Status UnpackSnapshot(const fs::path& file, const fs::path& target_dir) {
  if (fs::exists(target_dir)) {
    return absl::AlreadyExistsError(absl::StrCat(target_dir.string(), " already exists"));
  }
  SnapshotReader r(file);
  if (!r.open()) return absl::NotFoundError(absl::StrCat("cannot open ", file.string()));
  absl::Status s = UnpackInto(r, target_dir);
  if (!s.ok()) {
    std::error_code ec;
    fs::remove_all(target_dir, ec);
  }
  return s;
}

absl::Status RestoreSnapshot(const fs::path& file, const ServerOptions& options) {
  fs::path member_dir = fs::path(options.data_dir) / "member";
  if (fs::exists(member_dir)) {
    return absl::AlreadyExistsError(
        absl::StrCat("data-dir \"", options.data_dir, "\" already holds a member's data"));
  }
  fs::path db = member_dir / "db";
  if (auto s = UnpackSnapshot(file, db); !s.ok()) return s;
  {
    mvcc::StoreOptions so;
    so.dir = db.string();
    auto store = mvcc::Store::Open(so);
    if (!store.ok()) return store.status();
    // The new cluster's log starts over at its bootstrap snapshot (index 1): the state
    // machine must count as having applied exactly that.
    if (auto s = (*store)->ResetAppliedIndex(mvcc::AppliedIndex{1, 1}); !s.ok()) return s;
  }
  auto storage = wal::WalStorage::Open(member_dir.string(), wal::WalStorageOptions{});
  if (!storage.ok()) return storage.status();
  raftpb::ConfState cs;
  serverpb::SnapshotDescriptor descriptor = InitialMembership(options, &cs);
  return (*storage)->Bootstrap(cs, descriptor.SerializeAsString());
}

}  // namespace raftkv::server
