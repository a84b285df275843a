#include "webhook_signature.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>

#include "absl/strings/escaping.h"
#include "absl/strings/string_view.h"

namespace userstore_http {

std::string TwilioSignature(std::string_view auth_token, std::string_view url,
                            const WebhookParams& params) {
  std::vector<const std::pair<std::string, std::string>*> sorted;
  sorted.reserve(params.size());
  size_t size = url.size();
  for (const auto& param : params) {
    sorted.push_back(&param);
    size += param.first.size() + param.second.size();
  }
  std::sort(sorted.begin(), sorted.end(), [](const auto* a, const auto* b) { return *a < *b; });
  std::string data;
  data.reserve(size);
  data.append(url);
  for (const auto* param : sorted) {
    data.append(param->first);
    data.append(param->second);
  }
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_size = 0;
  if (HMAC(EVP_sha1(), auth_token.data(), static_cast<int>(auth_token.size()),
           reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac,
           &mac_size) == nullptr) {
    return "";
  }
  return absl::Base64Escape(absl::string_view(reinterpret_cast<const char*>(mac), mac_size));
}

}  // namespace userstore_http
