{{%AUTOESCAPE context="HTML"}}
<div class="page-head">
  <div>
    <p class="eyebrow"><a href="/admin">Admin</a></p>
    <h1>Waiting rooms</h1>
  </div>
</div>

<div class="admin-layout">
  <section class="panel" aria-labelledby="new-room-title">
    <h2 id="new-room-title">New waiting room</h2>
    <p class="panel-note">A room stands in front of one flash sale or coupon event from the moment it is made. People who join before the sale opens get random places at the start; after it, places follow arrival. The room lets people in at its rate; a claim or checkout of its item then needs the pass it hands out, once.</p>

    {{#outcome}}
    <div class="alert alert-success claim-outcome" role="status" data-tone="{{tone}}">
      <p>{{message}}</p>
    </div>
    <div class="alert alert-error claim-outcome" role="alert" data-tone="{{tone}}">
      <p>{{message}}</p>
    </div>
    {{/outcome}}

    <form class="stack-form" method="post" action="/admin/rooms">
      <input type="hidden" name="csrf" value="{{csrf}}">
      <div class="field-row">
        <div class="field">
          <label for="ar-item">In front of</label>
          <select id="ar-item" name="item" required>
            <option value="campaign">a coupon event</option>
            <option value="product">a product's flash sale</option>
          </select>
        </div>
        <div class="field">
          <label for="ar-item-id">Its id</label>
          <input id="ar-item-id" type="number" name="item_id" min="1" step="1" inputmode="numeric" required>
        </div>
      </div>
      <div class="field-row">
        <div class="field">
          <label for="ar-rate">People let in a second</label>
          <input id="ar-rate" type="number" name="rate" min="1" max="100000" step="1" inputmode="numeric" required>
        </div>
        <div class="field">
          <label for="ar-pass">Pass lasts (seconds)</label>
          <input id="ar-pass" type="number" name="pass_seconds" min="10" max="3600" step="1" placeholder="300" inputmode="numeric">
        </div>
        <div class="field">
          <label for="ar-pre">Joining opens before the start (seconds)</label>
          <input id="ar-pre" type="number" name="prequeue_seconds" min="0" max="86400" step="1" placeholder="600" inputmode="numeric">
        </div>
        <div class="field">
          <label for="ar-threshold">Turn on only above (arrivals a second)</label>
          <input id="ar-threshold" type="number" name="threshold" min="1" max="10000000" step="1" inputmode="numeric" aria-describedby="ar-threshold-note">
        </div>
        <p class="field-hint" id="ar-threshold-note">Left empty, the room guards its item from now on. With a number, claims or checkouts go straight through until one second brings more than that many, and the room turns itself on.</p>
      </div>
      <div class="form-actions">
        <button type="submit" class="btn btn-primary">Make the room</button>
      </div>
    </form>
  </section>

  <section class="admin-list" aria-labelledby="rooms-title">
    <h2 id="rooms-title">Rooms</h2>
    <div class="table-wrap" role="region" aria-labelledby="rooms-title" tabindex="0">
      <table class="data-table">
        <thead>
          <tr>
            <th scope="col">ID</th>
            <th scope="col">In front of</th>
            <th scope="col">Opens</th>
            <th scope="col" class="num">Rate</th>
            <th scope="col" class="num">Before the start</th>
            <th scope="col" class="num">Waiting</th>
            <th scope="col" class="num">Let in</th>
            <th scope="col" class="num">Took their turn</th>
            <th scope="col" class="num">Passes used</th>
            <th scope="col">State</th>
          </tr>
        </thead>
        <tbody>
          {{#items}}
          <tr>
            <td class="num"><a href="/rooms/{{id}}">{{id}}</a></td>
            <td>{{#item}}{{kind}} {{id}}{{/item}}</td>
            <td class="col-time"><time datetime="{{opens_at}}" data-utc="{{opens_at}}">{{opens_at}}</time></td>
            <td class="num">{{rate}}/s</td>
            <td class="num">{{prequeue}}</td>
            <td class="num">{{waiting}}</td>
            <td class="num">{{admitted}}</td>
            <td class="num">{{turns}}</td>
            <td class="num">{{used}}</td>
            <td>
              {{#retired}}<span class="badge badge-neutral" data-room-retired="1">Retired</span>{{/retired}}
              {{#no_retired}}
              <form method="post" action="/admin/rooms/{{id}}/switch">
                <input type="hidden" name="csrf" value="{{csrf}}">
                {{#on}}<span class="badge badge-live" data-room-on="1">On</span>
                <input type="hidden" name="on" value="0"><button type="submit" class="btn btn-sm">Turn off</button>{{/on}}
                {{#no_on}}<span class="badge badge-neutral" data-room-on="0">Off{{#auto}} until {{threshold}}/s{{/auto}}</span>
                <input type="hidden" name="on" value="1"><button type="submit" class="btn btn-sm">Turn on</button>{{/no_on}}
              </form>
              {{/no_retired}}
            </td>
          </tr>
          {{/items}}
        </tbody>
      </table>
    </div>
    {{#no_items}}<p class="empty-inline">No waiting rooms yet.</p>{{/no_items}}
  </section>
</div>
