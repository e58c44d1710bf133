{{%AUTOESCAPE context="HTML"}}
{{#item}}
<div class="page-head">
  <div>
    <p class="eyebrow"><a href="/admin">Admin</a> · Live view of a {{#campaign}}coupon event{{/campaign}}{{#product}}product{{/product}}</p>
    <h1>{{name}}</h1>
  </div>
  {{#campaign}}<a class="section-link" href="/coupons/{{id}}">Public page <span aria-hidden="true">&rarr;</span></a>{{/campaign}}
  {{#product}}<a class="section-link" href="/products/{{id}}">Public page <span aria-hidden="true">&rarr;</span></a>{{/product}}
</div>

<section class="live" data-live-events="{{events}}" data-live-kind="{{#campaign}}campaign{{/campaign}}{{#product}}product{{/product}}" aria-label="Live figures">
  <p class="live-state" role="status" aria-live="polite" data-live-state>Figures as of this page's loading; refresh to read them again.</p>
  <ul class="stat-grid live-grid">
    <li class="stat live-stat">
      <span class="stat-value" data-live-value="left">{{left}}</span>
      <span class="stat-label">{{#campaign}}coupons left of {{quantity}}{{/campaign}}{{#product}}units left{{/product}}</span>
      <svg class="spark" data-live-chart="left" viewBox="0 0 300 48" preserveAspectRatio="none" aria-hidden="true"><polyline points=""/></svg>
      <span class="spark-note" data-live-note="left"></span>
    </li>
    <li class="stat live-stat">
      <span class="stat-value" data-live-value="rate">–</span>
      <span class="stat-label">{{#campaign}}claims{{/campaign}}{{#product}}orders{{/product}} per second</span>
      <svg class="spark" data-live-chart="rate" viewBox="0 0 300 48" preserveAspectRatio="none" aria-hidden="true"><polyline points=""/></svg>
      <span class="spark-note" data-live-note="rate"></span>
    </li>
    <li class="stat live-stat">
      <span class="stat-value" data-live-value="refused">–</span>
      <span class="stat-label">refusals per second</span>
      <svg class="spark spark-warn" data-live-chart="refused" viewBox="0 0 300 48" preserveAspectRatio="none" aria-hidden="true"><polyline points=""/></svg>
      <span class="spark-note" data-live-note="refused"></span>
    </li>
    {{#product}}
    <li class="stat live-stat">
      <span class="stat-value" data-live-value="declined">–</span>
      <span class="stat-label">payments declined per second</span>
      <svg class="spark spark-warn" data-live-chart="declined" viewBox="0 0 300 48" preserveAspectRatio="none" aria-hidden="true"><polyline points=""/></svg>
      <span class="spark-note" data-live-note="declined"></span>
    </li>
    {{/product}}
    <li class="stat live-stat">
      <span class="stat-value" data-live-value="p99">–</span>
      <span class="stat-label">ms p99 latency of {{#campaign}}claims{{/campaign}}{{#product}}checkouts{{/product}} (every {{#campaign}}event{{/campaign}}{{#product}}product{{/product}})</span>
      <svg class="spark" data-live-chart="p99" viewBox="0 0 300 48" preserveAspectRatio="none" aria-hidden="true"><polyline points=""/></svg>
      <span class="spark-note" data-live-note="p99"></span>
    </li>
    <li class="stat live-stat">
      <span class="stat-value" data-live-value="pipeline">{{waiting}}</span>
      <span class="stat-label">events waiting in the outbox and the consumer groups</span>
      <svg class="spark" data-live-chart="pipeline" viewBox="0 0 300 48" preserveAspectRatio="none" aria-hidden="true"><polyline points=""/></svg>
      <span class="spark-note" data-live-note="pipeline"></span>
    </li>
  </ul>
{{/item}}

  <div class="admin-layout">
    <section class="admin-list" aria-labelledby="outcomes-title">
      <h2 id="outcomes-title">Outcomes</h2>
      <div class="table-wrap" role="region" aria-labelledby="outcomes-title" tabindex="0">
        <table class="data-table">
          <thead><tr><th scope="col">Outcome</th><th scope="col" class="num">Since the server started</th><th scope="col" class="num">Per second</th></tr></thead>
          <tbody data-live-table="outcomes">
            {{#totals}}<tr data-outcome="{{outcome}}"><td>{{outcome}}</td><td class="num">{{n}}</td><td class="num">–</td></tr>{{/totals}}
          </tbody>
        </table>
      </div>
      {{#no_totals}}<p class="empty-inline" data-live-empty="outcomes">Nothing counted since the server started.</p>{{/no_totals}}
    </section>

    <section class="admin-list" aria-labelledby="lag-title">
      <h2 id="lag-title">Consumer groups</h2>
      <div class="table-wrap" role="region" aria-labelledby="lag-title" tabindex="0">
        <table class="data-table">
          <thead><tr><th scope="col">Group</th><th scope="col" class="num">Events not handled yet</th></tr></thead>
          <tbody data-live-table="lag">
            {{#lag}}<tr data-group="{{group}}"><td>{{group}}</td><td class="num">{{n}}</td></tr>{{/lag}}
          </tbody>
        </table>
      </div>
      {{#no_lag}}<p class="empty-inline" data-live-empty="lag">No consumer has reported in the last seconds.</p>{{/no_lag}}
    </section>
  </div>
</section>
<script src="/static/js/live.js" defer></script>
