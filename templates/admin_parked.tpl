{{%AUTOESCAPE context="HTML"}}
<div class="page-head">
  <div>
    <p class="eyebrow">Admin</p>
    <h1>Parked events</h1>
  </div>
  <a class="section-link" href="/admin">Dashboard <span aria-hidden="true">&rarr;</span></a>
</div>

<p class="panel-note">Events a worker could not apply (the store refused them for good, for example a durable stock guard). The worker parked each one and went on with the rest. Retry applies an event through the same worker step once its cause is fixed; one that is refused again stays parked with the new reason.</p>

{{#outcome}}
<div class="alert alert-success claim-outcome" role="status" data-tone="{{tone}}">
  <p>{{message}}</p>
</div>
<div class="alert alert-error claim-outcome" role="alert" data-tone="{{tone}}">
  <p>{{message}}</p>
</div>
{{/outcome}}

<section class="admin-list" aria-labelledby="parked-title">
  <h2 id="parked-title">Events</h2>
  <div class="table-wrap" role="region" aria-labelledby="parked-title" tabindex="0">
    <table class="data-table">
      <thead>
        <tr>
          <th scope="col">ID</th>
          <th scope="col">Consumer</th>
          <th scope="col">Message</th>
          <th scope="col">Reason</th>
          <th scope="col" class="num">Attempts</th>
          <th scope="col">Parked</th>
          <th scope="col">State</th>
        </tr>
      </thead>
      <tbody>
        {{#items}}
        <tr>
          <td class="num">{{id}}</td>
          <td>{{consumer}}</td>
          <td class="nowrap">{{topic}}[{{partition}}]@{{offset}}</td>
          <td>{{reason}}</td>
          <td class="num">{{attempts}}</td>
          <td class="col-time"><time datetime="{{parked_at}}" data-utc="{{parked_at}}">{{parked_at}}</time></td>
          <td>
            {{#open}}
            <form method="post" action="/admin/parked/{{id}}/retry">
              <input type="hidden" name="csrf" value="{{csrf}}">
              <button type="submit" class="btn btn-sm">Retry</button>
            </form>
            {{/open}}
            {{#resolved}}<span class="badge badge-neutral">Resolved</span>{{/resolved}}
          </td>
        </tr>
        {{/items}}
      </tbody>
    </table>
  </div>
  {{#no_items}}<p class="empty-inline">No parked events: every event was applied.</p>{{/no_items}}
</section>
