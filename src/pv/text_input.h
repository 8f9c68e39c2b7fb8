// Line-oriented text input for large report files: plain files or entries of zip archives
// (libarchive), read in bounded blocks that end at a line end and parsed on every core
// (oneTBB pipeline, results merged in file order). Internal to src/pv.
#pragma once

#include <tbb/info.h>
#include <tbb/parallel_pipeline.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "paraderm/pv_data.h"
#include "paraderm/status.h"

namespace paraderm::pv::detail {

struct TextFile {
  std::string path;                      // the file, or the zip archive
  std::optional<std::string> zip_entry;  // the entry inside the archive
  std::uint64_t size = 0;                // uncompressed bytes (0 when unknown)
  std::string display() const { return zip_entry ? path + "!" + *zip_entry : path; }
  std::string name() const;  // the base name, upper case (e.g. DEMO24Q1.TXT)
};

// Every .txt file below the folders and inside the zip files named in `inputs` (zip files found in
// the folders are opened too). Error: an input that does not exist or a zip that cannot be read.
Result<std::vector<TextFile>> list_text_files(const std::vector<std::string>& inputs);

struct Block {
  std::string text;              // whole lines
  std::uint64_t first_line = 0;  // 1-based line number of the block's first line
};

class TextReader {
 public:
  static Result<std::unique_ptr<TextReader>> open(const TextFile& file);
  virtual ~TextReader() = default;
  // The first line (the header row, without its line end); nullopt for an empty file.
  std::optional<std::string> header();
  // The next block of about `bytes` (whole lines, the last one may lack its '\n'); false at the
  // end.
  bool next(Block& out, std::size_t bytes);
  std::uint64_t bytes_read() const { return bytes_read_; }
  bool failed() const { return failed_; }

 protected:
  // Raw bytes; 0 at the end, -1 on error.
  virtual long long read_raw(char* buf, std::size_t n) = 0;

 private:
  std::string carry_;
  std::uint64_t next_line_ = 1, bytes_read_ = 0;
  bool eof_ = false, failed_ = false;
};

// Splits a line (no '\n'; a trailing '\r' is dropped) on `sep` into views; returns the count.
std::size_t split_fields(std::string_view line, char sep, std::vector<std::string_view>& out);

// Reads `reader` block by block (the caller has consumed the header), parses blocks in parallel
// with `parse(const Block&) -> R` and hands each R to `merge(R&&)` in file order. At most a few
// blocks are in flight, so memory stays bounded.
template <class Parse, class Merge>
void parse_blocks(TextReader& reader, std::size_t block_bytes, Parse parse, Merge merge,
                  const ProgressFn& progress = {}, std::string_view phase = {},
                  std::uint64_t phase_done = 0, std::uint64_t phase_total = 0) {
  using R = decltype(parse(std::declval<const Block&>()));
  std::size_t tokens = static_cast<std::size_t>(tbb::info::default_concurrency()) * 2;
  tbb::parallel_pipeline(
      tokens,
      tbb::make_filter<void, std::shared_ptr<Block>>(
          tbb::filter_mode::serial_in_order,
          [&](tbb::flow_control& fc) -> std::shared_ptr<Block> {
            auto b = std::make_shared<Block>();
            if (!reader.next(*b, block_bytes)) {
              fc.stop();
              return nullptr;
            }
            if (progress) progress(phase, phase_done + reader.bytes_read(), phase_total);
            return b;
          }) &
          tbb::make_filter<std::shared_ptr<Block>, std::shared_ptr<R>>(
              tbb::filter_mode::parallel,
              [&](const std::shared_ptr<Block>& b) { return std::make_shared<R>(parse(*b)); }) &
          tbb::make_filter<std::shared_ptr<R>, void>(
              tbb::filter_mode::serial_in_order,
              [&](const std::shared_ptr<R>& r) { merge(std::move(*r)); }));
}

}  // namespace paraderm::pv::detail
