// StoreImpl: the change feed, post-event listeners and pre-event listeners
// (include/userstore/events.h, docs/events.md).
#include <algorithm>
#include <exception>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/status_macros.h"
#include "common/twilio_errors.h"
#include "store/feed_errors.h"
#include "store/store_impl.h"
#include "userstore/error.h"

namespace userstore::internal {

void StoreImpl::AddPostEventListener(Store::PostEventListener listener) {
  WriterLock lock(&listeners_mu_);
  auto next = std::make_shared<std::vector<Store::PostEventListener>>(*listeners_);
  next->push_back(std::move(listener));
  listeners_ = std::move(next);
}

void StoreImpl::AddPreEventListener(PreEventListener listener) {
  WriterLock lock(&pre_listeners_mu_);
  auto next = std::make_shared<std::vector<PreEventListener>>(*pre_listeners_);
  next->push_back(std::move(listener));
  pre_listeners_ = std::move(next);
}

EventMeta StoreImpl::MetaOf(Emission* emission) const {
  if (emission->time_micros == 0) {
    emission->time_micros = absl::ToUnixMicros(options_.clock ? options_.clock() : absl::Now());
  }
  EventMeta meta;
  meta.type = emission->type;
  meta.time_micros = emission->time_micros;
  meta.changed = emission->changed;
  meta.webhook_enabled = emission->webhook_enabled;
  meta.origin = emission->origin;
  return meta;
}

void StoreImpl::Emit(Emission* emission, const UserRecord& r) const {
  EventFeed* feed = emission->service->feed();
  if (feed == nullptr) return;
  emission->sequence = feed->Append(MetaOf(emission), r);
}

absl::Status StoreImpl::Journaled(
    Emission* emission, const UserRecord& r,
    absl::FunctionRef<absl::Status(const JournalEvent*)> write) const {
  EventFeed* feed = emission->service->feed();
  if (feed == nullptr) return write(nullptr);
  if (!journal_->StoresEvents()) {
    // The feed is memory-only (a shared Store): the event is appended once
    // the write succeeded, still under r's locks. Its stream appends beside
    // it (Append orders them); nothing is reserved, so a failed write
    // leaves the feed as it was.
    USERSTORE_RETURN_IF_ERROR(write(nullptr));
    Emit(emission, r);
    return absl::OkStatus();
  }
  const EventMeta meta = MetaOf(emission);  // may call the clock: before the sequence is taken
  const JournalEvent event{feed->Reserve(), meta};
  try {
    if (absl::Status s = write(&event); !s.ok()) {
      feed->Abandon(event.sequence);  // the journal refuses writes from now on (fail-stop)
      return s;
    }
    feed->Publish(event.sequence, event.meta, r);
  } catch (...) {
    // A taken sequence is published or abandoned, never left pending (the
    // feed would stop silently while writes go on).
    feed->Abandon(event.sequence);
    throw;
  }
  emission->sequence = event.sequence;
  return absl::OkStatus();
}

absl::Status StoreImpl::EmitPresence(Emission* emission, UserRecord& r,
                                     const PresenceBefore& before) const {
  emission->changed = (r.online != before.online ? user_field::kIsOnline : 0) |
                      (r.notifiable != before.notifiable ? user_field::kIsNotifiable : 0);
  if (emission->changed == 0) return absl::OkStatus();
  if (journal_ == nullptr) {
    Emit(emission, r);
    return absl::OkStatus();
  }
  const absl::Status s = Journaled(emission, r, [&](const JournalEvent* event) {
    return event == nullptr ? absl::OkStatus()
                            : journal_->PutEvent(emission->service->sid(), r, *event);
  });
  if (!s.ok()) {  // nothing changes
    r.online = before.online;
    r.notifiable = before.notifiable;
    r.connections = before.connections;
  }
  return s;
}

absl::Status StoreImpl::CommitBatch(ServiceState& service,
                                    const std::vector<const UserRecord*>& writes,
                                    std::vector<Emission>& emissions,
                                    absl::FunctionRef<void(size_t)> apply) const {
  EventFeed* const feed = service.feed();
  std::vector<JournalEvent> events;  // durable feed: one per write
  uint64_t first = 0;                // the batch's first event sequence
  if (journal_ != nullptr && journal_->StoresEvents() && feed != nullptr && !writes.empty()) {
    events.reserve(writes.size());
    for (size_t w = 0; w < writes.size(); ++w) {
      events.push_back(JournalEvent{0, MetaOf(&emissions[w])});
    }
    first = feed->Reserve(writes.size());  // nothing throws from here to the try
    for (size_t w = 0; w < writes.size(); ++w) events[w].sequence = first + w;
  }
  try {
    if (journal_ != nullptr && !writes.empty()) {
      if (absl::Status s = journal_->PutUsers(service.sid(), writes, events); !s.ok()) {
        if (!events.empty()) feed->Abandon(first);
        return s;
      }
    }
    for (size_t w = 0; w < writes.size(); ++w) {
      if (!events.empty()) {
        feed->Publish(events[w].sequence, events[w].meta, *writes[w]);
        emissions[w].sequence = events[w].sequence;
      } else if (journal_ == nullptr || !journal_->StoresEvents()) {
        Emit(&emissions[w], *writes[w]);  // memory feed: after the write succeeded
      }
      apply(w);
    }
  } catch (...) {
    // The batch's sequences are published or abandoned, never left pending
    // (Abandon keeps those already published).
    if (!events.empty()) feed->Abandon(first);
    throw;
  }
  return absl::OkStatus();
}

UserIndex::Persist StoreImpl::CommitUser(Emission* emission) const {
  if (journal_ == nullptr && emission->service->feed() == nullptr) return nullptr;
  // Two pointers: std::function keeps them inline (no allocation).
  return [this, emission](const UserRecord& r) -> absl::Status {
    if (journal_ == nullptr) {
      Emit(emission, r);
      return absl::OkStatus();
    }
    return Journaled(emission, r, [&](const JournalEvent* event) {
      if (emission->previous_revision != 0) {
        return journal_->UpdateUser(emission->service->sid(), r, emission->previous_revision,
                                    event);
      }
      return journal_->PutUser(emission->service->sid(), r, event);
    });
  };
}

UserIndex::Persist StoreImpl::CommitErase(Emission* emission,
                                          std::optional<uint64_t> if_revision) const {
  if (journal_ == nullptr && emission->service->feed() == nullptr && !if_revision) return nullptr;
  return [this, emission, if_revision](const UserRecord& r) -> absl::Status {
    // The precondition is checked where the journal is written: under the
    // user's locks, before anything changes.
    USERSTORE_RETURN_IF_ERROR(CheckRevision(r, if_revision));
    if (journal_ == nullptr) {
      Emit(emission, r);
      return absl::OkStatus();
    }
    return Journaled(emission, r, [&](const JournalEvent* event) {
      // A user holding push Bindings, or marked as having had some, goes
      // with them in one write (store_binding_ops.cc).
      if (r.notifiable != Presence::kUnknown) {
        const std::vector<BindingRecord> bindings = emission->service->bindings().OfUser(r.sid);
        return journal_->DeleteUserAndBindings(emission->service->sid(), r, bindings, event);
      }
      return journal_->DeleteUser(emission->service->sid(), r, event);
    });
  };
}

void StoreImpl::Fire(const Emission& emission, const User& user) const {
  std::shared_ptr<const std::vector<Store::PostEventListener>> listeners;
  {
    ReaderLock lock(&listeners_mu_);
    listeners = listeners_;
  }
  if (listeners->empty()) return;
  UserEvent event;
  event.type = emission.type;
  event.user = user;
  event.sequence = emission.sequence;
  event.time = emission.time_micros != 0 ? absl::FromUnixMicros(emission.time_micros) : Now();
  event.changed = emission.changed;
  event.webhook_enabled = emission.webhook_enabled;
  event.origin = emission.origin;
  // The write has committed: a listener's failure is reported, never turned
  // into the write's (store.h, PostEventListener). Reported from inside the
  // handler, so that e.what() needs no copy (an allocation there could throw
  // out of Fire).
  auto report = [&](std::string_view what) noexcept {
    listener_failures_.fetch_add(1, std::memory_order_relaxed);
    if (!options_.listener_error) return;
    try {
      options_.listener_error(event, what);
    } catch (...) {  // NOLINT(bugprone-empty-catch): documented in options.h
    }
  };
  for (const auto& listener : *listeners) {
    try {
      listener(event);
    } catch (const std::exception& e) {
      report(e.what());
    } catch (...) {
      report("unknown exception");
    }
  }
}

namespace {

absl::Status Rejected(std::string_view reason) {
  std::string message = "Webhook disabled processing of command";
  if (!reason.empty()) {
    message += ": ";
    message += reason;
  }
  return TwilioError(absl::StatusCode::kPermissionDenied, 403, twilio_code::kWebhookRejected,
                     message);
}

}  // namespace

absl::Status StoreImpl::CheckPreEvent(const PreEvent& event) const {
  std::shared_ptr<const std::vector<PreEventListener>> listeners;
  {
    ReaderLock lock(&pre_listeners_mu_);
    listeners = pre_listeners_;
  }
  for (const auto& listener : *listeners) {
    absl::Status verdict;
    try {
      verdict = listener(event);
    } catch (const std::exception& e) {
      return Rejected(e.what());
    } catch (...) {
      return Rejected("the pre-event listener threw");
    }
    if (!verdict.ok()) return Rejected(std::string(verdict.message()));
  }
  return absl::OkStatus();
}

bool StoreImpl::HasPreEventListeners() const {
  ReaderLock lock(&pre_listeners_mu_);
  return !pre_listeners_->empty();
}

absl::StatusOr<EventPage> StoreImpl::ReadEvents(std::string_view service_sid,
                                                uint64_t after_sequence, size_t max) const {
  USERSTORE_ASSIGN_OR_RETURN(const ServiceState* service, FindService(service_sid));
  if (max > kMaxEventsPerRead) return FeedTooMany(max);
  if (max == 0) max = kDefaultEventsPerRead;
  const EventFeed* feed = service->feed();
  if (feed == nullptr) {
    return BadRequest(twilio_code::kInvalidParameter,
                      "The change feed is off (StoreOptions::events.enabled)");
  }
  EventPage page;
  page.next_after = after_sequence;
  const uint64_t last = feed->last();
  if (last > after_sequence) page.events.reserve(std::min<uint64_t>(max, last - after_sequence));
  UserView view = UserViewAccess::Blank();
  size_t left = max;
  auto visit = [&](const FeedEvent& kept) {
    UserEvent& event = page.events.emplace_back();
    CopyEventMeta(kept, &event);
    UserViewAccess::FillFeedUser(*service, kept.user, kept.online, kept.notifiable, &view);
    view.CopyTo(&event.user);
    page.next_after = kept.sequence;
    --left;
  };
  // Durable: trimmed events are gone even while memory still holds them.
  if (journal_ != nullptr && after_sequence <= last && after_sequence + 1 < feed->first_on_disk()) {
    return FeedTrimmed(after_sequence, feed->first_on_disk(), last);
  }
  while (left > 0) {
    const absl::Status in_memory = feed->Read(page.next_after, left, visit);
    if (in_memory.code() != absl::StatusCode::kOutOfRange || journal_ == nullptr) {
      USERSTORE_RETURN_IF_ERROR(in_memory);
      break;
    }
    // Durable: what memory no longer holds is read from the disk, up to the
    // oldest event memory holds (which may move on meanwhile: then again).
    const uint64_t from = page.next_after;
    const uint64_t first_in_memory = feed->first_in_memory();
    const uint64_t first_on_disk = feed->first_on_disk();
    // Trimmed meanwhile: a page already begun is returned (the next read
    // gets the 410).
    if (from + 1 < first_on_disk) {
      if (!page.events.empty()) break;
      return FeedTrimmed(from, first_on_disk, feed->last());
    }
    const size_t span = static_cast<size_t>(
        std::min<uint64_t>(left, first_in_memory > from + 1 ? first_in_memory - from - 1 : left));
    USERSTORE_ASSIGN_OR_RETURN(const uint64_t read,
                               journal_->ReadEvents(service->sid(), from, span, visit));
    if (read == from) {
      if (!page.events.empty()) break;
      return FeedTrimmed(from, feed->first_on_disk(), feed->last());
    }
  }
  return page;
}

absl::StatusOr<uint64_t> StoreImpl::EventPosition(std::string_view service_sid) const {
  USERSTORE_ASSIGN_OR_RETURN(const ServiceState* service, FindService(service_sid));
  const EventFeed* feed = service->feed();
  if (feed == nullptr) {
    return BadRequest(twilio_code::kInvalidParameter,
                      "The change feed is off (StoreOptions::events.enabled)");
  }
  return feed->last();
}

absl::StatusOr<uint64_t> StoreImpl::OldestEvent(std::string_view service_sid) const {
  USERSTORE_ASSIGN_OR_RETURN(const ServiceState* service, FindService(service_sid));
  const EventFeed* feed = service->feed();
  if (feed == nullptr) {
    return BadRequest(twilio_code::kInvalidParameter,
                      "The change feed is off (StoreOptions::events.enabled)");
  }
  // Durable: everything from the oldest stored event on is readable.
  return journal_ != nullptr ? std::min(feed->first_on_disk(), feed->last() + 1)
                             : feed->first_in_memory();
}

}  // namespace userstore::internal
