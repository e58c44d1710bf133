{{%AUTOESCAPE context="HTML"}}
<div class="page-head">
  <div>
    <p class="eyebrow"><a href="/admin">Admin</a></p>
    <h1>Products</h1>
  </div>
  <a class="section-link" href="/products">Public page <span aria-hidden="true">&rarr;</span></a>
</div>

<div class="admin-layout">
  <section class="panel" aria-labelledby="new-product-title">
    <h2 id="new-product-title">New product</h2>
    <p class="panel-note">Stock is sold first come, first served. A flash sale opens at its start time; the per-person limit caps what one buyer holds.</p>

    {{#outcome}}
    <div class="alert alert-success claim-outcome" role="status" data-tone="{{tone}}">
      <p>{{message}}</p>
    </div>
    <div class="alert alert-error claim-outcome" role="alert" data-tone="{{tone}}">
      <p>{{message}}</p>
    </div>
    {{/outcome}}

    <form class="stack-form" method="post" action="/admin/products">
      <input type="hidden" name="csrf" value="{{csrf}}">
      <div class="field">
        <label for="ap-name">Name</label>
        <input id="ap-name" type="text" name="name" maxlength="200" placeholder="Rocket Mart speaker" required>
      </div>
      <div class="field">
        <label for="ap-description">Description</label>
        <textarea id="ap-description" name="description" rows="3" maxlength="2000"></textarea>
      </div>
      <div class="field">
        <label for="ap-category">Category</label>
        <input id="ap-category" type="text" name="category" maxlength="50" placeholder="electronics" required>
      </div>
      <div class="field-row">
        <div class="field">
          <label for="ap-price">Price (&#8361;)</label>
          <input id="ap-price" type="number" name="price" min="0" step="1" inputmode="numeric" required>
        </div>
        <div class="field">
          <label for="ap-stock">Stock</label>
          <input id="ap-stock" type="number" name="stock" min="0" step="1" inputmode="numeric" required>
        </div>
      </div>
      <div class="field-row">
        <div class="field">
          <label for="ap-sale">Flash sale starts <span class="optional">(optional, UTC)</span></label>
          <input id="ap-sale" type="datetime-local" name="sale_starts_at" step="60">
        </div>
        <div class="field">
          <label for="ap-limit">Per-person limit <span class="optional">(optional)</span></label>
          <input id="ap-limit" type="number" name="per_user_limit" min="1" step="1" inputmode="numeric">
        </div>
      </div>
      <div class="form-actions">
        <button type="submit" class="btn btn-primary">Create product</button>
      </div>
    </form>
  </section>

  <section class="admin-list" aria-labelledby="products-title">
    <h2 id="products-title">Catalog <span class="muted">({{total}})</span></h2>
    <div class="table-wrap" role="region" aria-labelledby="products-title" tabindex="0">
      <table class="data-table">
        <thead>
          <tr>
            <th scope="col">ID</th>
            <th scope="col">Name</th>
            <th scope="col">Category</th>
            <th scope="col" class="num">Left now</th>
            <th scope="col">State</th>
            <th scope="col">Change price, stock or limit <span class="muted">(blank: unchanged)</span></th>
            <th scope="col">Picture</th>
          </tr>
        </thead>
        <tbody>
          {{#items}}
          <tr>
            <td class="num">{{id}}</td>
            <td class="col-name"><a href="/products/{{id}}">{{name}}</a></td>
            <td>{{category}}</td>
            <td class="num">{{stock_remaining}}</td>
            <td>
              {{#upcoming}}<span class="badge badge-upcoming">Sale soon</span>{{/upcoming}}
              {{#sold_out}}<span class="badge badge-soldout">Sold out</span>{{/sold_out}}
              <a class="live-link" href="/admin/live/products/{{id}}">Live view</a>
            </td>
            <td>
              <form class="admin-row-form" method="post" action="/admin/products/{{id}}">
                <input type="hidden" name="csrf" value="{{csrf}}">
                <label class="sr-only" for="ap-price-{{id}}">Price of {{name}}</label>
                <input id="ap-price-{{id}}" type="number" name="price" min="0" step="1" value="{{price}}" inputmode="numeric">
                <label class="sr-only" for="ap-stock-{{id}}">Stock of {{name}}</label>
                <input id="ap-stock-{{id}}" type="number" name="stock" min="0" step="1" placeholder="stock" inputmode="numeric">
                <label class="sr-only" for="ap-limit-{{id}}">Per-person limit of {{name}}</label>
                <input id="ap-limit-{{id}}" type="number" name="per_user_limit" min="1" step="1" placeholder="limit" inputmode="numeric">
                <button type="submit" class="btn btn-sm">Save</button>
              </form>
            </td>
            <td>
              <form class="picture-form" id="product-{{id}}" method="post" action="/admin/products/{{id}}/picture" enctype="multipart/form-data" data-picture-upload data-csrf="{{csrf}}">
                {{#pic}}<img class="picture-mini" src="{{card}}" alt="" width="64" height="36">{{/pic}}
                <label class="sr-only" for="ap-picture-{{id}}">Picture of {{name}}</label>
                <input id="ap-picture-{{id}}" type="file" name="picture" accept="image/png,image/jpeg,image/webp,image/gif" required>
                <button type="submit" class="btn btn-sm">Upload</button>
                <p class="picture-status" role="status" aria-live="polite"></p>
              </form>
            </td>
          </tr>
          {{/items}}
        </tbody>
      </table>
    </div>
    {{#no_items}}<p class="empty-inline">No products yet. The first one you create appears here.</p>{{/no_items}}
    {{#pager}}
    <nav class="pager" aria-label="Pages" data-pages="{{pages}}">
      <a class="btn pager-prev" href="{{prev}}" rel="prev"><span aria-hidden="true">&larr;</span> Previous</a>
      <span class="pager-pos">Page {{page}} of {{pages}}</span>
      <a class="btn pager-next" href="{{next}}" rel="next">Next <span aria-hidden="true">&rarr;</span></a>
    </nav>
    {{/pager}}
  </section>
</div>
