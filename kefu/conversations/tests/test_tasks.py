"""The reply notification job and the retry machinery it runs on (kefu.core.jobs)."""

from __future__ import annotations

import smtplib
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command
from django.test import override_settings
from django_tasks import default_task_backend
from django_tasks_db.models import DBTaskResult

from kefu.conversations import services, tasks
from kefu.conversations.models import Message
from kefu.core import clock, jobs
from kefu.core.errors import PermanentError, RetryableError
from kefu.testing import factories


def _smtp_down(*args, **kwargs):
    raise smtplib.SMTPServerDisconnected("gone")


DUMMY_TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def _reply(conversation, agent, actor_of, capture, body="Your withdrawal was sent.") -> Message:
    with capture(execute=True):
        return services.message_reply(conversation=conversation, body=body, actor=actor_of(agent))


# --- the notification ------------------------------------------------------------------------


def test_agent_reply_emails_the_customer_once_in_english(
    conversation_a, agent_a, actor_of, django_capture_on_commit_callbacks, mailoutbox, settings
):
    settings.KEFU_PUBLIC_URL = "https://support.example.com/"
    message = _reply(conversation_a, agent_a, actor_of, django_capture_on_commit_callbacks)

    assert len(mailoutbox) == 1
    email = mailoutbox[0]
    ref = conversation_a.reference
    assert email.to == [conversation_a.contact.email]
    assert email.subject == f"[{ref}] New reply from support"
    assert email.body.startswith(
        f'Support replied to your request {ref} ("{conversation_a.subject}").'
    )
    assert "Your withdrawal was sent." in email.body
    assert (
        f"Read and answer it in the support portal: "
        f"https://support.example.com/requests/{conversation_a.pk}/"
    ) in email.body
    assert "We will never ask for your password, 2FA codes or seed phrase." in email.body
    message.refresh_from_db()
    assert message.customer_notified_at is not None


def test_chinese_customer_gets_the_email_in_simplified_chinese(
    db, agent_b, actor_of, django_capture_on_commit_callbacks, mailoutbox
):
    contact = factories.ContactFactory(language="zh-hans", email="wang@example.cn")
    conversation = factories.ConversationFactory(
        contact=contact, subject="提现未到账", body="我的USDT提现还没到账"
    )
    _reply(
        conversation, agent_b, actor_of, django_capture_on_commit_callbacks, body="您的提现已处理。"
    )
    [email] = mailoutbox
    ref = conversation.reference
    assert email.to == ["wang@example.cn"]
    assert email.subject == f"[{ref}] 您的工单有新回复"
    assert email.body.startswith(f"客服已回复您的工单 {ref}（“提现未到账”）。")
    assert "您的提现已处理。" in email.body
    assert "请前往客服中心查看并回复：" in email.body
    assert "我们绝不会向您索要密码、二次验证（2FA）验证码或助记词。" in email.body


def test_email_is_plain_text_with_the_raw_reply(
    conversation_a, agent_a, actor_of, django_capture_on_commit_callbacks, mailoutbox
):
    _reply(
        conversation_a,
        agent_a,
        actor_of,
        django_capture_on_commit_callbacks,
        body='Use the "Withdraw" page & check <b>limits</b>.',
    )
    [email] = mailoutbox
    assert 'Use the "Withdraw" page & check <b>limits</b>.' in email.body
    assert "&amp;" not in email.body
    assert "&quot;" not in email.body


def test_running_the_job_again_sends_nothing(
    conversation_a, agent_a, actor_of, django_capture_on_commit_callbacks, mailoutbox
):
    message = _reply(conversation_a, agent_a, actor_of, django_capture_on_commit_callbacks)
    message.refresh_from_db()
    notified_at = message.customer_notified_at
    tasks.notify_customer_of_reply.call(message_id=message.pk, attempt=1)
    tasks.notify_customer_of_reply.enqueue(message_id=message.pk, attempt=1)
    assert len(mailoutbox) == 1
    message.refresh_from_db()
    assert message.customer_notified_at == notified_at


def test_job_sends_nothing_for_notes_missing_messages_or_contacts_without_email(
    db, agent_a, actor_of, mailoutbox
):
    conversation = factories.ConversationFactory()
    note = services.note_add(conversation=conversation, body="internal", actor=actor_of(agent_a))
    tasks.notify_customer_of_reply.call(message_id=note.pk)
    tasks.notify_customer_of_reply.call(message_id=999_999)

    no_email = factories.ContactFactory(email=None, uid="U-no-email")
    silent = factories.ConversationFactory(contact=no_email)
    reply = services.message_reply(conversation=silent, body="hi", actor=actor_of(agent_a))
    tasks.notify_customer_of_reply.call(message_id=reply.pk)
    assert mailoutbox == []
    reply.refresh_from_db()
    assert reply.customer_notified_at is None


@pytest.mark.parametrize(
    "error",
    [
        smtplib.SMTPServerDisconnected("gone"),
        ConnectionRefusedError(111, "refused"),
        smtplib.SMTPDataError(451, b"try later"),
    ],
)
def test_smtp_failure_is_retried_later_with_backoff(
    conversation_a, agent_a, actor_of, monkeypatch, mailoutbox, error
):
    message = services.message_reply(
        conversation=conversation_a, body="hello", actor=actor_of(agent_a)
    )

    def failing_send_mail(*args, **kwargs):
        raise error

    monkeypatch.setattr(tasks, "_deliver", failing_send_mail)
    monkeypatch.setattr(clock, "now", lambda: NOW)
    with override_settings(TASKS=DUMMY_TASKS):
        tasks.notify_customer_of_reply.call(message_id=message.pk, attempt=1)
        [retry] = default_task_backend.results
    assert retry.task.name == "notify_customer_of_reply"
    assert retry.kwargs == {"attempt": 2, "message_id": message.pk}
    assert retry.task.run_after == NOW + timedelta(seconds=5)
    assert mailoutbox == []
    message.refresh_from_db()
    assert message.customer_notified_at is None


def test_smtp_failure_raises_retryable_error_inside_the_job(
    conversation_a, agent_a, actor_of, monkeypatch
):
    message = services.message_reply(
        conversation=conversation_a, body="hello", actor=actor_of(agent_a)
    )
    monkeypatch.setattr(tasks, "_deliver", _smtp_down)
    seen = {}

    def recording_run_with_retry(task, func, *, attempt, **kwargs):
        with pytest.raises(RetryableError, match="gone"):
            func()
        seen.update(task=task, attempt=attempt, kwargs=kwargs)

    monkeypatch.setattr(tasks, "run_with_retry", recording_run_with_retry)
    tasks.notify_customer_of_reply.call(message_id=message.pk, attempt=3)
    assert seen == {
        "task": tasks.notify_customer_of_reply,
        "attempt": 3,
        "kwargs": {"message_id": message.pk},
    }


def test_job_gives_up_after_max_attempts(
    conversation_a, agent_a, actor_of, monkeypatch, mailoutbox
):
    message = services.message_reply(
        conversation=conversation_a, body="hello", actor=actor_of(agent_a)
    )

    monkeypatch.setattr(tasks, "_deliver", _smtp_down)
    with override_settings(TASKS=DUMMY_TASKS):
        with pytest.raises(RetryableError):
            tasks.notify_customer_of_reply.call(message_id=message.pk, attempt=jobs.MAX_ATTEMPTS)
        assert default_task_backend.results == []
    assert mailoutbox == []


# --- kefu.core.jobs ---------------------------------------------------------------------------


class FakeTask:
    """Records how run_with_retry re-enqueues it."""

    name = "fake_task"

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict]] = []

    def using(self, **kwargs):
        self.calls.append(("using", kwargs))
        return self

    def enqueue(self, **kwargs):
        self.calls.append(("enqueue", kwargs))


def test_backoff_doubles_from_five_seconds_and_is_capped_at_an_hour():
    delays = [jobs.backoff_delay(attempt).total_seconds() for attempt in range(1, 13)]
    assert delays == [5, 10, 20, 40, 80, 160, 320, 640, 1280, 2560, 3600, 3600]


def test_successful_job_is_not_enqueued_again():
    task, runs = FakeTask(), []
    jobs.run_with_retry(task, lambda: runs.append(1), attempt=1, message_id=7)
    assert runs == [1]
    assert task.calls == []


@pytest.mark.parametrize("attempt", range(1, jobs.MAX_ATTEMPTS))
def test_retryable_failure_is_enqueued_again_with_backoff(monkeypatch, attempt):
    monkeypatch.setattr(clock, "now", lambda: NOW)
    task = FakeTask()

    def fail():
        raise RetryableError("smtp timeout")

    jobs.run_with_retry(task, fail, attempt=attempt, message_id=7)
    assert task.calls == [
        ("using", {"run_after": NOW + jobs.backoff_delay(attempt)}),
        ("enqueue", {"attempt": attempt + 1, "message_id": 7}),
    ]


def test_retryable_failure_gives_up_after_max_attempts():
    task = FakeTask()

    def fail():
        raise RetryableError("smtp timeout")

    with pytest.raises(RetryableError):
        jobs.run_with_retry(task, fail, attempt=jobs.MAX_ATTEMPTS, message_id=7)
    assert task.calls == []
    assert jobs.MAX_ATTEMPTS == 6


@pytest.mark.parametrize("error", [PermanentError("bad address"), ValueError("bug")])
def test_other_failures_are_not_retried(error):
    task = FakeTask()

    def fail():
        raise error

    with pytest.raises(type(error)):
        jobs.run_with_retry(task, fail, attempt=1)
    assert task.calls == []


def test_enqueue_on_commit_waits_for_commit(db, django_capture_on_commit_callbacks):
    task = FakeTask()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        jobs.enqueue_on_commit(task, message_id=3, attempt=1)
        assert task.calls == []
    assert len(callbacks) == 1
    callbacks[0]()
    assert task.calls == [("enqueue", {"message_id": 3, "attempt": 1})]


# --- durability with the real database backend ----------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_reply_job_is_a_database_row_that_the_worker_runs(mailoutbox, actor_of):
    with override_settings(TASKS={"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}):
        agent = factories.StaffFactory()
        conversation = factories.ConversationFactory()
        message = services.message_reply(
            conversation=conversation, body="Funds credited.", actor=actor_of(agent)
        )

        [row] = DBTaskResult.objects.all()
        assert row.task_path == "kefu.conversations.tasks.notify_customer_of_reply"
        assert row.status == "READY"
        assert row.args_kwargs == {"args": [], "kwargs": {"message_id": message.pk, "attempt": 1}}
        assert mailoutbox == []  # nothing is sent until a worker runs the job

        call_command("db_worker", batch=True, startup_delay=False, verbosity=0)

        row.refresh_from_db()
        assert row.status == "SUCCESSFUL"
        assert [m.to for m in mailoutbox] == [[conversation.contact.email]]
        message.refresh_from_db()
        assert message.customer_notified_at is not None

        # A second worker run finds nothing left to do.
        call_command("db_worker", batch=True, startup_delay=False, verbosity=0)
        assert len(mailoutbox) == 1
