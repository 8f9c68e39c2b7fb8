#include "pv/text_input.h"

#include <archive.h>
#include <archive_entry.h>
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstring>
#include <filesystem>

namespace paraderm::pv::detail {
namespace {

namespace fs = std::filesystem;

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

struct ArchiveDeleter {
  void operator()(archive* a) const {
    if (a) archive_read_free(a);
  }
};
using ArchivePtr = std::unique_ptr<archive, ArchiveDeleter>;

ArchivePtr open_zip(const std::string& path, std::string& error) {
  ArchivePtr a(archive_read_new());
  archive_read_support_format_zip(a.get());
  if (archive_read_open_filename(a.get(), path.c_str(), 1 << 16) != ARCHIVE_OK) {
    error = archive_error_string(a.get()) ? archive_error_string(a.get()) : "unreadable";
    return nullptr;
  }
  return a;
}

Status list_zip(const std::string& path, std::vector<TextFile>& out) {
  std::string error;
  auto a = open_zip(path, error);
  if (!a)
    return Status::invalid_input(
        fmt::format("--faers: value \"{}\": not a readable zip file ({})", path, error));
  archive_entry* e = nullptr;
  int rc;
  while ((rc = archive_read_next_header(a.get(), &e)) == ARCHIVE_OK) {
    std::string name = archive_entry_pathname(e) ? archive_entry_pathname(e) : "";
    if (archive_entry_filetype(e) == AE_IFREG && ends_with(upper(name), ".TXT")) {
      out.push_back(
          {path, name,
           archive_entry_size_is_set(e) ? static_cast<std::uint64_t>(archive_entry_size(e)) : 0});
    }
    archive_read_data_skip(a.get());
  }
  if (rc != ARCHIVE_EOF) {
    return Status::invalid_input(
        fmt::format("--faers: value \"{}\": damaged zip file ({})", path,
                    archive_error_string(a.get()) ? archive_error_string(a.get()) : "?"));
  }
  return Status::ok();
}

class FileReader : public TextReader {
 public:
  explicit FileReader(std::FILE* f) : f_(f) {}
  ~FileReader() override { std::fclose(f_); }

 protected:
  long long read_raw(char* buf, std::size_t n) override {
    std::size_t got = std::fread(buf, 1, n, f_);
    if (got == 0 && std::ferror(f_)) return -1;
    return static_cast<long long>(got);
  }

 private:
  std::FILE* f_;
};

class ZipEntryReader : public TextReader {
 public:
  explicit ZipEntryReader(ArchivePtr a) : a_(std::move(a)) {}

 protected:
  long long read_raw(char* buf, std::size_t n) override {
    la_ssize_t got = archive_read_data(a_.get(), buf, n);
    return got < 0 ? -1 : static_cast<long long>(got);
  }

 private:
  ArchivePtr a_;
};

}  // namespace

std::string TextFile::name() const {
  return upper(fs::path(zip_entry ? *zip_entry : path).filename().string());
}

Result<std::vector<TextFile>> list_text_files(const std::vector<std::string>& inputs) {
  std::vector<TextFile> out;
  for (const auto& input : inputs) {
    std::error_code ec;
    if (fs::is_directory(input, ec)) {
      std::vector<fs::path> found;
      for (const auto& e : fs::recursive_directory_iterator(input, ec)) {
        if (e.is_regular_file()) found.push_back(e.path());
      }
      std::sort(found.begin(), found.end());
      for (const auto& p : found) {
        std::string n = upper(p.filename().string());
        if (ends_with(n, ".TXT")) {
          out.push_back(
              {p.string(), std::nullopt, static_cast<std::uint64_t>(fs::file_size(p, ec))});
        } else if (ends_with(n, ".ZIP")) {
          if (Status s = list_zip(p.string(), out); !s.is_ok()) return s;
        }
      }
    } else if (fs::is_regular_file(input, ec) && ends_with(upper(input), ".ZIP")) {
      if (Status s = list_zip(input, out); !s.is_ok()) return s;
    } else {
      return Status::invalid_input(
          fmt::format("--faers: value \"{}\": expected a folder of FAERS/LAERS quarterly files or "
                      "a faers_ascii_*.zip / "
                      "aers_ascii_*.zip file",
                      input));
    }
  }
  return out;
}

Result<std::unique_ptr<TextReader>> TextReader::open(const TextFile& file) {
  if (!file.zip_entry) {
    std::FILE* f = std::fopen(file.path.c_str(), "rb");
    if (!f) return Status::io_error(fmt::format("cannot open {}", file.path));
    return std::unique_ptr<TextReader>(new FileReader(f));
  }
  std::string error;
  auto a = open_zip(file.path, error);
  if (!a) return Status::io_error(fmt::format("cannot open {}: {}", file.path, error));
  archive_entry* e = nullptr;
  while (archive_read_next_header(a.get(), &e) == ARCHIVE_OK) {
    if (archive_entry_pathname(e) && *file.zip_entry == archive_entry_pathname(e)) {
      return std::unique_ptr<TextReader>(new ZipEntryReader(std::move(a)));
    }
    archive_read_data_skip(a.get());
  }
  return Status::io_error(fmt::format("{}: entry not found", file.display()));
}

std::optional<std::string> TextReader::header() {
  Block b;
  if (!next(b, 1 << 16)) return std::nullopt;
  std::size_t nl = b.text.find('\n');
  std::string h = b.text.substr(0, nl);
  if (!h.empty() && h.back() == '\r') h.pop_back();
  carry_ = (nl == std::string::npos ? std::string() : b.text.substr(nl + 1)) + carry_;
  next_line_ = 2;
  return h;
}

bool TextReader::next(Block& out, std::size_t bytes) {
  out.text.clear();
  if (eof_ && carry_.empty()) return false;
  out.text.swap(carry_);
  std::size_t want = std::max<std::size_t>(bytes, 1 << 12);
  while (!eof_ && out.text.size() < want) {
    std::size_t old = out.text.size();
    out.text.resize(old + want);
    long long got = read_raw(out.text.data() + old, want);
    if (got < 0) {
      failed_ = true;
      got = 0;
    }
    out.text.resize(old + static_cast<std::size_t>(got));
    bytes_read_ += static_cast<std::uint64_t>(got);
    if (got == 0) eof_ = true;
  }
  // Keep the partial last line for the next block.
  if (!eof_) {
    std::size_t nl = out.text.rfind('\n');
    if (nl == std::string::npos) {
      // A single line longer than the block: keep reading until it ends.
      carry_.swap(out.text);
      return next(out, bytes * 2);
    }
    carry_.assign(out.text, nl + 1, std::string::npos);
    out.text.resize(nl + 1);
  }
  out.first_line = next_line_;
  next_line_ += static_cast<std::uint64_t>(std::count(out.text.begin(), out.text.end(), '\n'));
  return !out.text.empty();
}

std::size_t split_fields(std::string_view line, char sep, std::vector<std::string_view>& out) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  out.clear();
  std::size_t start = 0;
  while (true) {
    std::size_t p = line.find(sep, start);
    if (p == std::string_view::npos) {
      out.push_back(line.substr(start));
      break;
    }
    out.push_back(line.substr(start, p - start));
    start = p + 1;
  }
  return out.size();
}

}  // namespace paraderm::pv::detail
