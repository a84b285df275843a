#include "http_file.h"

#include <cstddef>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"

namespace userstore::cli {
namespace {

constexpr absl::string_view kMethods[] = {"GET",  "POST",    "PUT",     "DELETE", "PATCH",
                                          "HEAD", "OPTIONS", "CONNECT", "TRACE"};

bool IsMethod(absl::string_view word) {
  const std::string upper = absl::AsciiStrToUpper(word);
  for (absl::string_view m : kMethods) {
    if (upper == m) return true;
  }
  return false;
}

bool IsName(absl::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-') {
      return false;
    }
  }
  return true;
}

bool IsComment(absl::string_view trimmed) {
  return absl::StartsWith(trimmed, "#") || absl::StartsWith(trimmed, "//");
}

absl::Status LineError(int line, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("line ", line, ": ", what));
}

// `# @name NAME`, `// @name=NAME`: sets *name. Other comments: no-op.
absl::Status ParseComment(absl::string_view trimmed, int line, std::string* name) {
  absl::string_view rest = trimmed;
  while (absl::ConsumePrefix(&rest, "#") || absl::ConsumePrefix(&rest, "/")) {
  }
  rest = absl::StripLeadingAsciiWhitespace(rest);
  if (!absl::ConsumePrefix(&rest, "@name")) return absl::OkStatus();
  if (!rest.empty() && !absl::ascii_isspace(static_cast<unsigned char>(rest[0])) &&
      rest[0] != '=') {
    return absl::OkStatus();  // e.g. "@named", not ours
  }
  rest = absl::StripLeadingAsciiWhitespace(rest);
  absl::ConsumePrefix(&rest, "=");
  rest = absl::StripAsciiWhitespace(rest);
  if (!IsName(rest)) {
    return LineError(line, "a request name must match [A-Za-z0-9_-]+");
  }
  *name = std::string(rest);
  return absl::OkStatus();
}

bool IsFormUrlEncoded(const HeaderList& headers) {
  for (const auto& [name, value] : headers) {
    if (absl::EqualsIgnoreCase(name, "Content-Type")) {
      return absl::StartsWithIgnoreCase(absl::StripLeadingAsciiWhitespace(value),
                                        "application/x-www-form-urlencoded");
    }
  }
  return false;
}

enum class State { kBefore, kHeaders, kBody };

class Parser {
 public:
  // REQUIRES: text.size() <= kMaxHttpFileBytes (so line numbers fit an int).
  absl::StatusOr<HttpFile> Run(absl::string_view text) {
    // Lines are visited one at a time (no vector of them: a file of empty
    // lines would take 16 bytes of memory per byte).
    int number = 0;
    for (absl::string_view line : absl::StrSplit(text, '\n')) {
      ++number;
      absl::ConsumeSuffix(&line, "\r");
      absl::Status s = Line(line, number);
      if (!s.ok()) return s;
    }
    Finish();
    return std::move(file_);
  }

 private:
  absl::Status Line(absl::string_view line, int number) {
    if (absl::StartsWith(line, "###")) {
      Finish();
      return absl::OkStatus();
    }
    const absl::string_view trimmed = absl::StripAsciiWhitespace(line);
    switch (state_) {
      case State::kBefore:
        if (trimmed.empty()) return absl::OkStatus();
        if (IsComment(trimmed)) return ParseComment(trimmed, number, &name_);
        if (absl::StartsWith(trimmed, "@")) return Variable(trimmed, number);
        return RequestLine(trimmed, number);
      case State::kHeaders:
        if (trimmed.empty()) {
          state_ = State::kBody;
          form_ = IsFormUrlEncoded(request_.headers);
          return absl::OkStatus();
        }
        if (IsComment(trimmed)) return absl::OkStatus();
        if (request_.headers.empty() &&
            (absl::StartsWith(trimmed, "?") || absl::StartsWith(trimmed, "&"))) {
          absl::StrAppend(&request_.url, trimmed);
          return absl::OkStatus();
        }
        return Header(trimmed, number);
      case State::kBody:
        BodyLine(line, trimmed.empty());
        return absl::OkStatus();
    }
    return absl::OkStatus();
  }

  absl::Status Variable(absl::string_view trimmed, int number) {
    const size_t eq = trimmed.find('=');
    if (eq == absl::string_view::npos) {
      return LineError(number, "expected a file variable '@name = value'");
    }
    absl::string_view name = absl::StripAsciiWhitespace(trimmed.substr(1, eq - 1));
    if (!IsName(name)) {
      return LineError(number, "a variable name must match [A-Za-z0-9_-]+");
    }
    file_.variables.emplace_back(std::string(name),
                                 std::string(absl::StripAsciiWhitespace(trimmed.substr(eq + 1))));
    return absl::OkStatus();
  }

  absl::Status RequestLine(absl::string_view trimmed, int number) {
    std::vector<absl::string_view> words =
        absl::StrSplit(trimmed, absl::ByAnyChar(" \t"), absl::SkipEmpty());
    request_ = HttpFileRequest{};
    request_.line = number;
    request_.name = std::move(name_);
    name_.clear();
    if (words.size() == 1) {
      request_.method = "GET";
      request_.url = std::string(words[0]);
    } else if (IsMethod(words[0]) &&
               (words.size() == 2 || (words.size() == 3 && absl::StartsWith(words[2], "HTTP/")))) {
      request_.method = absl::AsciiStrToUpper(words[0]);
      request_.url = std::string(words[1]);
    } else {
      return LineError(number, "expected a request line 'METHOD URL [HTTP/1.1]'");
    }
    state_ = State::kHeaders;
    return absl::OkStatus();
  }

  absl::Status Header(absl::string_view trimmed, int number) {
    const size_t colon = trimmed.find(':');
    absl::string_view name = colon == absl::string_view::npos
                                 ? absl::string_view()
                                 : absl::StripAsciiWhitespace(trimmed.substr(0, colon));
    if (name.empty() || name.find_first_of(" \t") != absl::string_view::npos) {
      return LineError(number, "expected a header line 'Name: value'");
    }
    request_.headers.emplace_back(
        std::string(name), std::string(absl::StripAsciiWhitespace(trimmed.substr(colon + 1))));
    return absl::OkStatus();
  }

  // Appends a body line to request_.body: joined with "\n", except that a
  // form body's line starting with `&` joins the previous one directly.
  // Trailing blank lines are cut by Finish.
  void BodyLine(absl::string_view line, bool blank) {
    if (body_lines_ > 0 && !(form_ && absl::StartsWith(line, "&"))) {
      request_.body.push_back('\n');
    }
    absl::StrAppend(&request_.body, line);
    ++body_lines_;
    if (!blank) body_kept_ = request_.body.size();
  }

  // Closes the current block (a `###` line or the end of the file).
  void Finish() {
    if (state_ != State::kBefore) {
      request_.body.resize(body_kept_);  // drops the trailing blank lines
      file_.requests.push_back(std::move(request_));
    }
    request_ = HttpFileRequest{};
    body_lines_ = 0;
    body_kept_ = 0;
    form_ = false;
    name_.clear();
    state_ = State::kBefore;
  }

  HttpFile file_;
  State state_ = State::kBefore;
  std::string name_;  // pending `# @name`
  HttpFileRequest request_;
  bool form_ = false;      // request_ is form-urlencoded (body lines)
  size_t body_lines_ = 0;  // body lines appended to request_.body
  size_t body_kept_ = 0;   // request_.body's size to its last non-blank line
};

}  // namespace

absl::StatusOr<HttpFile> ParseHttpFile(absl::string_view text) {
  if (text.size() > kMaxHttpFileBytes) return HttpFileTooLarge();
  return Parser().Run(text);
}

absl::Status HttpFileTooLarge() {
  return absl::InvalidArgumentError(absl::StrCat("the file is larger than ", kMaxHttpFileBytes,
                                                 " bytes (64 MiB), the limit of a .http file"));
}

}  // namespace userstore::cli
