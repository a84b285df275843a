// The consumer example: a program built against an installed userstore
// (examples/consumer/CMakeLists.txt, or pkg-config). It uses the public API
// only: a Store, a Service, the five User operations, the fast read forms,
// an error, and the REST facade. Prints what it did; exits 1 on any unexpected result.
#include <cstdlib>
#include <iostream>
#include <string>

#include "userstore/userstore.h"

namespace {

int failures = 0;

void Expect(bool ok, const std::string& what) {
  std::cout << (ok ? "ok   " : "FAIL ") << what << "\n";
  if (!ok) ++failures;
}

}  // namespace

int main() {
  absl::StatusOr<std::unique_ptr<userstore::Store>> store = userstore::Store::Create();
  if (!store.ok()) {
    std::cerr << store.status() << "\n";
    return 1;
  }
  userstore::ServiceCreate service;
  service.sid = "ISaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
  Expect((*store)->CreateService(service).ok(), "CreateService");

  userstore::UserCreate params;
  params.identity = "jing";
  params.attributes = R"({"test":"test"})";
  absl::StatusOr<userstore::User> user = (*store)->CreateUser(service.sid, params);
  Expect(user.ok() && user->identity == "jing", "CreateUser jing");
  if (!user.ok()) return 1;

  absl::StatusOr<userstore::User> again = (*store)->CreateUser(service.sid, params);
  Expect(!again.ok() && userstore::HttpStatus(again.status()) == 409 &&
             userstore::TwilioCode(again.status()) == 50201,
         "a second jing is 409/50201");

  userstore::UserUpdate update;
  update.friendly_name = "Jing";
  absl::StatusOr<userstore::User> updated = (*store)->UpdateUser(service.sid, "jing", update);
  Expect(updated.ok() && updated->friendly_name == "Jing", "UpdateUser by identity");

  absl::StatusOr<userstore::Page> page = (*store)->ListUsers(service.sid, {});
  Expect(page.ok() && page->users.size() == 1 && page->users[0].sid == user->sid, "ListUsers");

  // The hot-path forms: into a reused User, and in place through a visitor.
  userstore::User reused;
  Expect((*store)->FetchUser(service.sid, user->sid, &reused).ok() && reused.identity == "jing",
         "FetchUser into a reused User");
  std::string seen;
  Expect((*store)->ReadUser(service.sid, "jing",
                            [&](const userstore::UserView& u) {
                              seen.assign(u.friendly_name().value_or(""));
                            })
                 .ok() &&
             seen == "Jing",
         "ReadUser visits the user in place");

  userstore::RestFacade facade(store->get());
  userstore::Response response =
      facade.Handle({"GET", "/v2/Services/" + service.sid + "/Users/" + user->sid, {}, {}});
  Expect(response.status == 200 &&
             response.body == userstore::UserJson(*updated, (*store)->options().base_url),
         "RestFacade GET by SID");
  std::cout << response.body << "\n";

  Expect((*store)->DeleteUser(service.sid, user->sid).ok(), "DeleteUser");
  absl::StatusOr<userstore::User> gone = (*store)->FetchUser(service.sid, "jing");
  Expect(!gone.ok() && userstore::HttpStatus(gone.status()) == 404,
         "FetchUser after delete is 404");
  std::cout << userstore::ErrorJson(gone.status()) << "\n";

  return failures == 0 ? 0 : 1;
}
