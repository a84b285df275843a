// UserstoreSystem: userstore::Store seen through the interface the benchmark
// templates use for every system (Create, Fetch, Update, Delete, List), one
// Service holding all users. A page cursor is a page token; each List call
// is one Store::ListUsers with that token (Page 1 when a token is given, as a
// client following next_page_url sends), so token decoding, the MAC and the
// next/previous tokens are part of the measured cost.
//
// Thread-safety: thread-safe (the Store is).
#ifndef USERSTORE_BENCH_SYSTEM_USERSTORE_H_
#define USERSTORE_BENCH_SYSTEM_USERSTORE_H_

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "bench/baseline_common.h"
#include "userstore/store.h"

namespace userstore::bench {

class UserstoreSystem {
 public:
  using Cursor = std::string;  // a page token; empty: start
  static constexpr char kName[] = "userstore";
  static constexpr bool kThreadSafe = true;

  UserstoreSystem() : UserstoreSystem(StoreOptions{}) {}
  explicit UserstoreSystem(StoreOptions options) {
    absl::StatusOr<std::unique_ptr<Store>> store = Store::Create(std::move(options));
    absl::StatusOr<Service> service =
        store.ok() ? (*store)->CreateService({}) : absl::StatusOr<Service>(store.status());
    if (!service.ok()) {
      std::fprintf(stderr, "userstore: %s\n", service.status().ToString().c_str());
      std::abort();
    }
    store_ = *std::move(store);
    service_sid_ = service->sid;
  }

  Store* store() const { return store_.get(); }
  const std::string& service_sid() const { return service_sid_; }

  absl::StatusOr<User> Create(const UserCreate& params) {
    return store_->CreateUser(service_sid_, params);
  }
  absl::StatusOr<User> Fetch(std::string_view key) const {
    return store_->FetchUser(service_sid_, key);
  }
  absl::StatusOr<User> Update(std::string_view key, const UserUpdate& params) {
    return store_->UpdateUser(service_sid_, key, params);
  }
  absl::Status Delete(std::string_view key) { return store_->DeleteUser(service_sid_, key); }

  // The fast forms (store.h): into caller storage, or visited in place.
  struct PageBuffer {
    PageRequest request;
    Page page;
  };
  absl::Status FetchInto(std::string_view key, User* out) const {
    return store_->FetchUser(service_sid_, key, out);
  }
  absl::Status UpdateInto(std::string_view key, const UserUpdate& params, User* out) {
    return store_->UpdateUser(service_sid_, key, params, out);
  }
  size_t ListInto(const Cursor& after, size_t limit, PageBuffer* out) const {
    out->request.page_size = static_cast<int64_t>(limit);
    out->request.page = after.empty() ? 0 : 1;
    out->request.page_token.assign(after);
    if (!store_->ListUsers(service_sid_, out->request, &out->page).ok()) return 0;
    return out->page.users.size();
  }
  template <typename F>
  absl::Status Read(std::string_view key, F read) const {
    return store_->ReadUser(service_sid_, key, read);
  }
  PageResult<Cursor> List(const Cursor& after, size_t limit) const {
    PageRequest request;
    request.page_size = static_cast<int64_t>(limit);
    request.page = after.empty() ? 0 : 1;
    request.page_token = after;
    PageResult<Cursor> result;
    absl::StatusOr<Page> page = store_->ListUsers(service_sid_, request);
    if (!page.ok()) return result;  // the caller sees no users and no next
    result.users = std::move(page->users);
    result.has_next = !page->next_page_token.empty();
    result.next = std::move(page->next_page_token);
    return result;
  }

 private:
  std::unique_ptr<Store> store_;
  std::string service_sid_;
};

// The same Store with its records in huge-page-eligible memory
// (RecordMemory::kHugePages): docs/benchmarks.md, "Huge pages".
class UserstoreHugePagesSystem : public UserstoreSystem {
 public:
  static constexpr char kName[] = "userstore-huge";
  UserstoreHugePagesSystem() : UserstoreSystem(Options()) {}

 private:
  static StoreOptions Options() {
    StoreOptions options;
    options.record_memory = RecordMemory::kHugePages;
    return options;
  }
};

}  // namespace userstore::bench

#endif  // USERSTORE_BENCH_SYSTEM_USERSTORE_H_
