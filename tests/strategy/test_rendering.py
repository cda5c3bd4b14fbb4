"""Rendering the plan's messages: the content check as the outbox does it, in or out of process."""

from __future__ import annotations

from autocollect.strategy.rendering import MIN_JOBS, Rendered, Renderer, RenderJob, render_one

TEMPLATE = "【{{ lender_name }}】{{ borrower_name }}您好，合同{{ contract_no }}已逾期。"


def job(name: str) -> RenderJob:
    return RenderJob(
        subject="",
        body=TEMPLATE,
        values={"lender_name": "示例汽车金融", "borrower_name": name, "contract_no": "HT1"},
        audience="borrower",
        language="zh-hans",
    )


def test_a_clean_text_is_filled_in() -> None:
    assert render_one(job("张三")) == Rendered("", "【示例汽车金融】张三您好，合同HT1已逾期。")


def test_a_value_that_makes_the_text_prohibited_refuses_it_with_the_rule() -> None:
    rendered = render_one(job("傻逼"))
    assert rendered.refused == ("zh.insult.abuse",)


def test_a_template_with_an_unknown_variable_is_broken() -> None:
    broken = RenderJob("", "{{ secret }}", {}, "borrower", "zh-hans")
    assert render_one(broken).broken


def test_worker_processes_give_exactly_what_this_process_gives() -> None:
    jobs = [job(f"借款人{k}") for k in range(MIN_JOBS)] + [job("傻逼")]
    pool = Renderer(2)
    try:
        assert len(pool.workers) == 2
        assert pool.render(jobs) == [render_one(j) for j in jobs]
        # The workers stay up for the next batch.
        assert pool.render(jobs[::-1]) == [render_one(j) for j in jobs[::-1]]
    finally:
        pool.close()
    assert pool.workers == []


def test_a_dead_worker_falls_back_to_rendering_here() -> None:
    jobs = [job(f"借款人{k}") for k in range(MIN_JOBS)]
    pool = Renderer(1)
    try:
        pool.workers[0].kill()
        pool.workers[0].wait()
        assert pool.render(jobs) == [render_one(j) for j in jobs]
    finally:
        pool.close()
